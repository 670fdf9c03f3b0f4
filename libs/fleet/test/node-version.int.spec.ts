/**
 * Queue mode on a Node.js older than pg-boss needs fails at once: exit 2, the version it needs,
 * and nothing created (not even the database the config would create). The child's Node version
 * is faked by a preload; nothing else about the process changes.
 */
import { query, runFleet, tenantFleetConfig, useFixture } from '../src/testing';

describe('queue mode and the Node.js version (real PostgreSQL)', () => {
  const fx = useFixture('nodever');

  function asNode(version: string): NodeJS.ProcessEnv {
    const preload = fx.project.writeFile('fake-node.js', `Object.defineProperty(process.versions, 'node', { value: ${JSON.stringify(version)} });\n`);
    const env: NodeJS.ProcessEnv = { ...fx.env, NODE_OPTIONS: `--require ${preload}` };
    delete env.FLEET_QUEUE_UNSUPPORTED_NODE;
    return env;
  }

  beforeEach(() => {
    fx.project.writeConfig(tenantFleetConfig());
    fx.project.writeMigration('global', { name: 'CreateTenants1000', up: ['CREATE TABLE tenants (id text PRIMARY KEY)'] });
    fx.project.writeMigration('tenant', { name: 'CreateProjects1000', up: ['CREATE TABLE projects (id int)'] });
  });

  it.each([
    [['migrate', '--queue'], 'migrate --queue'],
    [['worker', '--until-empty'], 'fleet worker'],
    [['run', 'status'], 'fleet run status'],
  ])('fleet %j on Node 22.11 exits 2 before connecting', async (args, what) => {
    const run = await runFleet([...args, '--config', fx.project.path('fleet.config.ts')], asNode('22.11.0'));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${what} needs Node.js >= 22.12`);
    expect(run.stderr).toContain('this is Node.js 22.11.0');
    const exists = await query<{ n: number }>('postgres', 'SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [fx.db]);
    expect(exists[0].n).toBe(0);
  });

  it('plain migrate on the same Node works (only queue mode needs 22.12)', async () => {
    const run = await runFleet(['migrate', '--config', fx.project.path('fleet.config.ts')], asNode('20.19.0'));
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  });
});
