/** `fleet targets`: the targets a command would touch, read-only, from the CLI. */
import { dropDatabase, databaseUrl, FixtureProject, runFleet, tenantFleetConfig, uniqueName, withAdmin } from '../src/testing';

describe('fleet targets', () => {
  it('lists the global target and every tenant, honouring --tenant, and creates nothing', async () => {
    const project = new FixtureProject('targets');
    const db = uniqueName('fleet_t_targets');
    const env = { FX_MAIN_URL: databaseUrl(db) };
    try {
      project.writeConfig(tenantFleetConfig({}, { discover: { list: ['a', 'b'] }, registry: undefined }));
      project.writeMigration('global', { name: 'Init1000', up: ['SELECT 1'] });
      project.writeMigration('tenant', { name: 'CreateUsers1000', up: ['CREATE TABLE users (id int)'] });
      await withAdmin((c) => c.query(`CREATE DATABASE "${db}"`));
      const all = await runFleet(['targets', '--config', project.path('fleet.config.ts'), '--json'], env);
      expect(all.code).toBe(0);
      expect(JSON.parse(all.stdout).targets.map((t: { target: string; schema: string }) => [t.target, t.schema])).toEqual([
        ['fx/main', 'public'],
        ['fx/main/a', 'tenant_a'],
        ['fx/main/b', 'tenant_b'],
      ]);
      const one = await runFleet(['targets', '--config', project.path('fleet.config.ts'), '--tenant', 'b'], env);
      expect(one.stdout).toMatch(/fx\/main\/b\s+tenant fleet_t_targets_\w+\.tenant_b\ntargets: 2/);
      expect((await runFleet(['targets', '--config', project.path('fleet.config.ts'), '--yes'], env)).code).toBe(2);
    } finally {
      project.remove();
      await dropDatabase(db);
    }
  });
});
