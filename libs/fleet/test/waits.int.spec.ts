/**
 * Every wait is bounded and interruptible: Ctrl-C (SIGINT) while a verb waits on the server exits
 * within 2 s with a report, whatever it waits for: another run's lock on the target, a table
 * lock a migration needs, or a read-only verb's query blocked behind another session's lock.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { targetLockKey } from '../src/locking/target-lock';
import { query, runFleet, tenantFleetConfig, testServer, useFixture, WORKSPACE_ROOT } from '../src/testing';

const FLEET_BIN = join(WORKSPACE_ROOT, 'libs', 'fleet', 'bin', 'fleet.js');

describe('Ctrl-C during a wait', () => {
  const fx = useFixture('waits');
  let holder: Client | undefined;
  afterEach(async () => {
    await holder?.end().catch(() => undefined);
    holder = undefined;
  });

  /** A fleet at head (global track and tenants a, b), waits of a minute allowed. */
  async function fleetAtHead(): Promise<void> {
    fx.project.writeConfig(tenantFleetConfig({ lockWaitMs: 60_000, lockTimeoutMs: 60_000 }, { discover: { list: ['a', 'b'] }, registry: undefined }));
    fx.project.writeMigration('global', { name: 'Init1000', up: ['SELECT 1'] });
    fx.project.writeMigration('tenant', { name: 'CreateItems1000', up: ['CREATE TABLE items (id int)'] });
    expect((await runFleet(['migrate', '--config', fx.project.path('fleet.config.ts')], fx.env)).code).toBe(0);
  }

  /** Another session, holding something until the test ends. */
  async function hold(sql: string): Promise<void> {
    holder = new Client({ ...testServer(), database: fx.db, application_name: 'someone-else' });
    holder.on('error', () => undefined); // dropped with its database after the test
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(sql);
  }

  /** Starts `fleet <args>`, waits until one of its sessions waits for a lock, sends SIGINT; returns what it did. */
  async function interruptWhileWaiting(args: string[]) {
    const child = spawn(process.execPath, [FLEET_BIN, ...args, '--config', fx.project.path('fleet.config.ts')], {
      cwd: WORKSPACE_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', FLEET_JOURNAL_DIR: fx.project.path('runs'), ...fx.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    const waiting = async () =>
      (
        await query<{ n: number }>(
          'postgres',
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'fleet:%' AND (wait_event_type = 'Lock' OR (state = 'idle' AND $2))`,
          [fx.db, false],
        )
      )[0].n > 0;
    // An advisory-lock wait is a poll (no backend waits): the progress view names it.
    while (!(await waiting()) && !/waits for|waiting for|lock/i.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    const sentAt = Date.now();
    child.kill('SIGINT');
    const code = await closed;
    return { code, ms: Date.now() - sentAt, stdout, stderr };
  }

  it("migrate waiting for another run's lock on a tenant: out within 2 s, the report and the journal say interrupted", async () => {
    await fleetAtHead();
    fx.project.writeMigration('tenant', { name: 'More2000', up: ['CREATE TABLE more (id int)'] });
    const key = targetLockKey(fx.db, 'tenant_a', 'fleet_migrations');
    await hold(`SELECT pg_advisory_lock(${key.classId}, ${key.objectId})`);
    const run = await interruptWhileWaiting(['migrate', '--json']);
    expect(run.ms).toBeLessThan(2_000);
    expect(run.code).toBe(130);
    const report = JSON.parse(run.stdout);
    expect(report.interrupted).toBe('SIGINT');
    expect(report.results.map((r: { target: string }) => r.target).sort()).toEqual(['fx/main', 'fx/main/a', 'fx/main/b']);
    expect(JSON.parse(readFileSync(join(fx.project.path('runs'), 'latest-fx.json'), 'utf8')).state).toBe('interrupted');
  }, 60_000);

  it('migrate whose statement waits for a table lock another session holds: out within 2 s, rolled back', async () => {
    await fleetAtHead();
    fx.project.writeMigration('tenant', { name: 'AddColumn2000', up: ['ALTER TABLE items ADD COLUMN name text'] });
    await hold('LOCK TABLE tenant_a.items IN ACCESS EXCLUSIVE MODE');
    const run = await interruptWhileWaiting(['migrate', '--json']);
    expect(run.ms).toBeLessThan(2_000);
    expect(run.code).toBe(130);
    expect(JSON.parse(run.stdout).interrupted).toBe('SIGINT');
    expect(await query(fx.db, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'fleet:%' AND state <> 'idle'`, [fx.db])).toEqual([
      { n: 0 },
    ]);
  }, 60_000);

  // status answers from the fleet index (storage/fleet-index.ts), verify reads every version table.
  it.each([
    ['status', 'the fleet index'],
    ['verify', 'a version table'],
  ])(
    '%s blocked behind a lock on %s: out within 2 s, saying so',
    async (verb) => {
      await fleetAtHead();
      const [{ schema }] = await query<{ schema: string }>(
        fx.db,
        `SELECT n.nspname AS schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'fleet_index'`,
      );
      await hold(verb === 'status' ? `LOCK TABLE "${schema}".fleet_index IN ACCESS EXCLUSIVE MODE` : 'LOCK TABLE tenant_a.fleet_migrations IN ACCESS EXCLUSIVE MODE');
      const run = await interruptWhileWaiting([verb]);
      expect(run.ms).toBeLessThan(2_000);
      expect(run.code).toBe(130);
      expect(run.stderr).toContain(`fleet ${verb}: interrupted (SIGINT) while waiting on the server`);
    },
    60_000,
  );
});
