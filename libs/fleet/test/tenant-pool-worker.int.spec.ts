/**
 * The tenant pool refilled by `fleet worker` (tenants.pool.refill: 'worker', queue/pool-keeper.ts):
 * in queue mode the app never migrates, so a take leaves the refill to the workers, which make the
 * missing spares under the queue's budget. On the real server, the worker in this process.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createTenant } from '../src/commands/tenants';
import { migrate } from '../src/commands/run-commands';
import { query, runFleet, tenantFleetConfig, useFixture, WORKSPACE_ROOT } from '../src/testing';

const FLEET_BIN = join(WORKSPACE_ROOT, 'libs', 'fleet', 'bin', 'fleet.js');

jest.setTimeout(120_000);

describe('tenant pool refilled by fleet worker', () => {
  const fx = useFixture('pool_worker');

  it('a take leaves the refill to the worker, which makes the missing spare at head; the CLI says who refills', async () => {
    fx.project.writeConfig({ ...(tenantFleetConfig({}, { pool: { size: 2, refill: 'worker' } }) as object), queue: {} });
    fx.project.writeMigration('global', { name: 'CreateTenants1000', up: ['CREATE TABLE tenants (id text PRIMARY KEY)'] });
    fx.project.writeMigration('tenant', { name: 'CreateUsers1000', up: ['CREATE TABLE users (id serial PRIMARY KEY)'] });
    expect((await migrate(fx.options())).ok).toBe(true); // migrate keeps every pool, whoever refills it
    const ready = async () => (await query<{ n: number }>(fx.db, 'SELECT count(*)::int AS n FROM fleet_spares WHERE ready'))[0].n;
    expect(await ready()).toBe(2);

    const taken = await createTenant({ ...fx.options(), id: 'acme' });
    expect(taken.path).toBe('pool');
    expect(await taken.refill).toEqual({ deferred: 'worker' });
    const cli = await runFleet(['tenant', 'create', 'globex', '--config', fx.project.path('fleet.config.ts')], fx.env);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('from the pool');
    expect(cli.stdout).toContain('pool: refilled by `fleet worker`');
    expect(await ready()).toBe(0);

    // The worker is the CLI in a child process (pg-boss is an ES module: jest cannot load it in-process).
    const child = spawn(process.execPath, [FLEET_BIN, 'worker', '--config', fx.project.path('fleet.config.ts'), '--concurrency', '2'], {
      cwd: WORKSPACE_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', ...fx.env },
    });
    let stderr = '';
    let stdout = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdout!.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 60_000;
      while ((await ready()) < 2 && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
      expect({ ready: await ready(), stderr }).toEqual({ ready: 2, stderr: expect.any(String) }); // stderr shown on failure
    } finally {
      child.kill('SIGINT');
    }
    await exited;
    expect(stderr).toMatch(/pool +fx\/main: 2 of 2 spare\(s\) ready; 2 made/);
    expect(stdout + stderr).toContain('2 spare tenant(s) made');
    // The spares it made are at head, as migrate's are: the next create takes one.
    const next = await createTenant({ ...fx.options(), id: 'initech' });
    expect(next).toMatchObject({ path: 'pool', applied: ['CreateUsers1000'] });
  });

  it('refill: worker without queue mode is a config error', async () => {
    fx.project.writeConfig(tenantFleetConfig({}, { pool: { size: 2, refill: 'worker' } }));
    const r = await runFleet(['status', '--config', fx.project.path('fleet.config.ts')], fx.env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('tenants.pool.refill');
    expect(r.stderr).toContain('needs queue mode');
  });
});
