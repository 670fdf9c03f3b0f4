/** `fleet targets`: the targets a command would touch, read-only, from the CLI. */
import { runFleet, tenantFleetConfig, useFixture, withAdmin } from '../src/testing';

describe('fleet targets', () => {
  const fx = useFixture('targets');

  it('lists the global target and every tenant, honouring --tenant, and creates nothing', async () => {
    fx.project.writeConfig(tenantFleetConfig({}, { discover: { list: ['a', 'b'] }, registry: undefined }));
    fx.project.writeMigration('global', { name: 'Init1000', up: ['SELECT 1'] });
    fx.project.writeMigration('tenant', { name: 'CreateUsers1000', up: ['CREATE TABLE users (id int)'] });
    await withAdmin((c) => c.query(`CREATE DATABASE "${fx.db}"`));
    const config = fx.project.path('fleet.config.ts');
    const all = await runFleet(['targets', '--config', config, '--json'], fx.env);
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout).targets.map((t: { target: string; schema: string }) => [t.target, t.schema])).toEqual([
      ['fx/main', 'public'],
      ['fx/main/a', 'tenant_a'],
      ['fx/main/b', 'tenant_b'],
    ]);
    const one = await runFleet(['targets', '--config', config, '--tenant', 'b'], fx.env);
    expect(one.stdout).toMatch(/fx\/main\/b\s+tenant fleet_t_targets_\w+\.tenant_b\ntargets: 2/);
    expect((await runFleet(['targets', '--config', config, '--yes'], fx.env)).code).toBe(2);
  });
});
