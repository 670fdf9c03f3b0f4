/**
 * Fleet killed outright (SIGKILL, OOM): no handler runs, nothing cancels its statements. The
 * server notices the closed connection by itself (client_connection_check_interval on Fleet's
 * sessions, PostgreSQL 14+) and ends the statement within seconds, rolling back its transaction
 * and releasing its lock, instead of running it to its end; the next run then migrates normally.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { dropDatabase, query, runFleet, tenantFleetConfig, useFixture, waitForBackend, WORKSPACE_ROOT } from '../src/testing';

const FLEET_BIN = join(WORKSPACE_ROOT, 'libs', 'fleet', 'bin', 'fleet.js');

describe('Fleet killed outright', () => {
  const fx = useFixture('killed');

  it('SIGKILL during a slow migration: the server ends the statement within 3 s, the next run finishes the job', async () => {
    const [{ v }] = await query<{ v: number }>('postgres', `SELECT current_setting('server_version_num')::int AS v`);
    if (v < 140000) return; // no client_connection_check_interval before PostgreSQL 14
    fx.project.writeConfig(tenantFleetConfig({}, { discover: { list: ['a'] }, registry: undefined }));
    fx.project.writeMigration('global', { name: 'Init1000', up: ['SELECT 1'] });
    fx.project.writeMigration('tenant', {
      name: 'Backfill1000',
      up: [
        'CREATE TABLE items (id int)',
        `SELECT pg_sleep(CASE WHEN current_schema() = 'tenant_scratch' OR current_setting('fleet_test.fast', true) = 'on' THEN 0 ELSE 30 END) /* ${fx.db} */`,
      ],
    });
    const config = fx.project.path('fleet.config.ts');
    const child = spawn(process.execPath, [FLEET_BIN, 'migrate', '--config', config], {
      cwd: WORKSPACE_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', FLEET_JOURNAL_DIR: fx.project.path('runs'), ...fx.env },
      stdio: 'ignore',
    });
    const closed = new Promise((resolve) => child.on('close', resolve));
    const pid = await waitForBackend(fx.db, 'pg_sleep(CASE', 30_000);
    child.kill('SIGKILL');
    await closed;
    const killedAt = Date.now();
    const running = async () => (await query<{ n: number }>('postgres', `SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1`, [pid]))[0].n;
    while ((await running()) > 0 && Date.now() - killedAt < 3_000) await new Promise((r) => setTimeout(r, 50));
    expect(await running()).toBe(0);
    // Rolled back with its session: the tenant's table is not there, its lock is free, and the next run (fast this time) migrates it.
    expect(await query(fx.db, `SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'items'`)).toEqual([{ n: 0 }]);
    await query('postgres', `ALTER DATABASE "${fx.db}" SET fleet_test.fast = 'on'`);
    const next = await runFleet(['migrate', '--config', config], fx.env);
    expect(next.code).toBe(0);
    expect(await query(fx.db, `SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'items'`)).toEqual([{ n: 1 }]);
  }, 60_000);

  it('a scratch database left by a run killed over an hour ago is dropped by the next run that makes one; a recent one is left alone', async () => {
    const named = (secondsAgo: number) => `fleet_scratch_${Math.floor(Date.now() / 1000 - secondsAgo).toString(36)}_${randomBytes(6).toString('hex')}`;
    const stale = named(2 * 3600);
    const recent = named(60);
    try {
      for (const name of [stale, recent]) await query('postgres', `CREATE DATABASE "${name}"`);
      fx.project.writeConfig(tenantFleetConfig({}, { discover: { list: ['a'] }, registry: undefined }));
      fx.project.writeMigration('global', { name: 'Init1000', up: ['SELECT 1'] });
      // Content of its own: the tenant lint's cached verdict would skip the scratch database.
      fx.project.writeMigration('tenant', { name: 'CreateItems1000', up: [`CREATE TABLE items (id int) /* ${fx.db} */`] });
      expect((await runFleet(['migrate', '--config', fx.project.path('fleet.config.ts')], fx.env)).code).toBe(0);
      const left = await query<{ datname: string }>('postgres', `SELECT datname FROM pg_database WHERE datname IN ($1, $2)`, [stale, recent]);
      expect(left.map((r) => r.datname)).toEqual([recent]);
    } finally {
      for (const name of [stale, recent]) await dropDatabase(name);
    }
  }, 60_000);
});
