/**
 * Health-aware pacing (executor/health-gate.ts), on real servers:
 * - a streaming replica started here (a primary of the test's own, wal_level=replica, and a standby
 *   made with pg_basebackup -R): replay paused on the standby while the primary writes WAL, the
 *   run pauses before its first target and says why; replay resumed, it resumes and finishes;
 * - an application session queued behind a Fleet session's lock: paused until the lock goes;
 * - a long transaction in the fleet's database: paused until it ends; held past maxPauseMs, the
 *   targets are NOT RUN (nothing changed) and the report says why;
 * - a role without pg_monitor: one warning, the run goes on.
 * The replica needs PostgreSQL's server binaries (initdb, pg_ctl, postgres, pg_basebackup): without
 * them the replica test fails saying what to install, unless FLEET_TEST_NO_REPLICA=1.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { migrate } from '../src/commands/run-commands';
import type { FleetEvent } from '../src/events';
import type { RunReport } from '../src/executor/result';
import { formatRunReport } from '../src/reporters/text-format';
import { queryOn, ReplicaPair, startReplicaPair, tenantFleetConfig, testServer, useFixture, withAdmin, WORKSPACE_ROOT } from '../src/testing';

type HealthEvent = Extract<FleetEvent, { type: 'health' }>;

// Each test runs Fleet two or three times on a shared 2-core machine: generous, so load never fails a correct test.
jest.setTimeout(150_000);

/** A tenant fleet (global track + tenants), the run's events collected. */
function collect(): { events: FleetEvent[]; onEvent: (e: FleetEvent) => void; health: () => HealthEvent[] } {
  const events: FleetEvent[] = [];
  return { events, onEvent: (e) => events.push(e), health: () => events.filter((e): e is HealthEvent => e.type === 'health') };
}

const replicaTest = process.env.FLEET_TEST_NO_REPLICA === '1' ? describe.skip : describe;

replicaTest('health: replication lag on a streaming replica started by the test', () => {
  const fx = useFixture('health_repl');
  let pair: ReplicaPair | undefined;
  beforeAll(async () => {
    pair = await startReplicaPair();
  }, 60_000);
  afterAll(async () => {
    await pair?.stop();
  });

  function writeFleet(tenants: string[], health: Record<string, unknown>): NodeJS.ProcessEnv {
    fx.project.writeConfig({ ...(tenantFleetConfig({}, { discover: { list: tenants }, registry: undefined }) as object), health });
    fx.project.writeMigration('global', { name: 'Init1000', up: ['CREATE TABLE settings (id int)'] });
    fx.project.writeMigration('tenant', { name: 'Items1000', up: ['CREATE TABLE items (id int)', 'CREATE INDEX items_id ON items (id)'] });
    return { FX_MAIN_URL: `postgres://postgres@127.0.0.1:${pair!.primaryPort}/${fx.db}` };
  }

  /** Replay paused on the standby, and more WAL written on the primary than the limit: the standby is behind. */
  async function induceLag(): Promise<void> {
    await queryOn(pair!.standbyPort, 'SELECT pg_wal_replay_pause()');
    await queryOn(pair!.primaryPort, 'CREATE TABLE IF NOT EXISTS filler AS SELECT g FROM generate_series(1, 1) g');
    await queryOn(pair!.primaryPort, 'INSERT INTO filler SELECT g FROM generate_series(1, 50000) g; SELECT pg_switch_wal()');
    const behind = await queryOn<{ b: string }>(pair!.primaryPort, 'SELECT max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn))::text AS b FROM pg_stat_replication');
    expect(Number(behind[0].b)).toBeGreaterThan(256 * 1024);
  }

  afterEach(async () => {
    await queryOn(pair!.standbyPort, 'SELECT pg_wal_replay_resume()').catch(() => undefined);
    await queryOn(pair!.primaryPort, `DROP DATABASE IF EXISTS "${fx.db}" WITH (FORCE)`).catch(() => undefined);
  });

  it('pauses before the first target while the standby is behind, says why, resumes when replay resumes and finishes', async () => {
    const env = writeFleet(['a', 'b', 'c'], { maxReplicationLagBytes: 256 * 1024, checkEveryMs: 200 });
    await induceLag();
    const run = collect();
    let resumedReplayAt = 0;
    const report = await migrate({
      ...fx.options({ concurrency: 2 }),
      env,
      onEvent: (e) => {
        run.onEvent(e);
        // The standby catches up once the run has said it paused.
        if (e.type === 'health' && e.state === 'paused' && !resumedReplayAt) {
          resumedReplayAt = Date.now();
          setTimeout(() => void queryOn(pair!.standbyPort, 'SELECT pg_wal_replay_resume()'), 1_000);
        }
      },
    });
    expect(report.ok).toBe(true);
    expect(report.summary).toMatchObject({ targets: 4, changed: 4 });
    const health = run.health();
    expect(health.map((e) => e.state)).toEqual(['paused', 'resumed']);
    const reason = health[0].reasons[0];
    expect(reason).toMatchObject({ check: 'replication-lag', maxLagBytes: 256 * 1024 });
    expect(reason.check === 'replication-lag' && reason.lagBytes).toBeGreaterThan(256 * 1024);
    expect(health[0].server).toBe(`127.0.0.1:${pair!.primaryPort}`);
    // No target ran while paused: the first target-end follows `resumed`.
    const resumed = run.events.findIndex((e) => e.type === 'health' && e.state === 'resumed');
    expect(resumed).toBeGreaterThan(-1);
    expect(run.events.findIndex((e) => e.type === 'target-end')).toBeGreaterThan(resumed);
    expect(report.health?.pauses).toHaveLength(1);
    expect(report.health?.pauses[0]).toMatchObject({ ended: 'resumed', database: null, targetsNotStarted: 0 });
    expect(report.health?.pauses[0].durationMs).toBeGreaterThan(0);
    expect(formatRunReport(report)).toMatch(/paused +127\.0\.0\.1:\d+ for [\d.]+ s \(resumed; 1 target\(s\) waited\): replication lag: standby walreceiver/);
  });

  it('the CLI says it in its progress lines (CI) and in --json', async () => {
    const env = writeFleet(['a', 'b'], { maxReplicationLagBytes: 256 * 1024, checkEveryMs: 200 });
    await induceLag();
    // Replay resumes once the CLI has said it paused (its progress lines are read as they come).
    const resume = () => void queryOn(pair!.standbyPort, 'SELECT pg_wal_replay_resume()');
    const text = await fleetCli(['migrate', '--config', fx.project.path('fleet.config.ts')], env, /health: pausing/, resume);
    expect(text.code).toBe(0);
    expect(text.stderr).toMatch(
      /health: pausing new targets on 127\.0\.0\.1:\d+: replication lag: standby walreceiver at 127\.0\.0\.1 is [\d.]+ [kMG]?B of WAL.* behind \(limit 256\.0 kB/,
    );
    expect(text.stderr).toMatch(/health: resumed on 127\.0\.0\.1:\d+ after [\d.]+ s/);
    expect(text.stdout).toMatch(/paused +127\.0\.0\.1:\d+ for [\d.]+ s \(resumed/);

    // --json: the same pause as JSON lines on stderr and in the report.
    fx.project.writeMigration('tenant', { name: 'More2000', up: ['CREATE TABLE more (id int)'] });
    await induceLag();
    const json = await fleetCli(['migrate', '--json', '--config', fx.project.path('fleet.config.ts')], env, /"type":"health"/, resume);
    expect(json.code).toBe(0);
    const lines = json.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === 'health').map((l) => l.state)).toEqual(['paused', 'resumed']);
    const report = JSON.parse(json.stdout) as RunReport;
    expect(report.health?.pauses[0]).toMatchObject({ ended: 'resumed', reasons: [{ check: 'replication-lag' }] });
  });
});

/** Every check off (a test turns on the one it is about): other tests on the shared server must not add pauses to its run. */
const only = { maxReplicationLagMs: false, maxReplicationLagBytes: false, maxBlockedSessions: false, maxTransactionAgeMs: false };

describe('health: sessions on the live server', () => {
  const fx = useFixture('health');
  let sessions: Client[] = [];
  afterEach(async () => {
    for (const c of sessions) await c.end().catch(() => undefined);
    sessions = [];
  });

  async function session(applicationName: string, database = fx.db): Promise<Client> {
    const c = new Client({ ...testServer(), database, application_name: applicationName });
    c.on('error', () => undefined); // ended with its database after the test
    await c.connect();
    sessions.push(c);
    return c;
  }

  /** The fleet at head once (global track and tenants; nothing holds it back yet), then a pending tenant migration. */
  async function fleetWithPending(health: Record<string, unknown>, tenants = ['a', 'b', 'c']): Promise<void> {
    // One config file for the test: a module loaded once stays loaded.
    fx.project.writeConfig({ ...(tenantFleetConfig({}, { discover: { list: tenants }, registry: undefined }) as object), health });
    fx.project.writeMigration('global', { name: 'Init1000', up: ['CREATE TABLE settings (id int)'] });
    fx.project.writeMigration('tenant', { name: 'Items1000', up: ['CREATE TABLE items (id int)'] });
    const first = collect();
    expect((await migrate(fx.options({ onEvent: first.onEvent }))).ok).toBe(true);
    expect(first.health()).toEqual([]);
    fx.project.writeMigration('tenant', { name: 'Flag2000', up: ['ALTER TABLE items ADD COLUMN flag boolean'] });
  }

  it("an application session queued behind a Fleet session's lock pauses the fan-out until the lock goes", async () => {
    await fleetWithPending({ ...only, maxBlockedSessions: 0, checkEveryMs: 200 });
    // Another Fleet run's session (named as Fleet names its sessions) holds a tenant table's lock...
    const fleetSession = await session('fleet:other-run');
    await fleetSession.query('BEGIN');
    await fleetSession.query('LOCK TABLE settings IN ACCESS EXCLUSIVE MODE');
    // ...and the application queues behind it.
    const app = await session('app-under-test');
    const appQuery = app.query('SELECT count(*) FROM settings');
    await waitFor(async () => (await blockedCount(fx.db)) === 1);
    const run = collect();
    let released = false;
    const report = await migrate({
      ...fx.options({ concurrency: 2 }),
      onEvent: (e) => {
        run.onEvent(e);
        if (e.type === 'health' && e.state === 'paused' && !released) {
          released = true;
          setTimeout(() => void fleetSession.query('COMMIT'), 1_000);
        }
      },
    });
    await appQuery;
    expect(report.ok).toBe(true);
    expect(report.summary).toMatchObject({ targets: 4, changed: 3, unchanged: 1 });
    const health = run.health();
    expect(health.map((e) => e.state)).toEqual(['paused', 'resumed']);
    const reason = health[0].reasons[0];
    expect(reason).toMatchObject({ check: 'blocked-sessions', sessions: 1, max: 0, oldest: { applicationName: 'app-under-test', database: fx.db } });
    expect(reason.check === 'blocked-sessions' && reason.oldest.blockedBy).toEqual([(fleetSession as unknown as { processID: number }).processID]);
    expect(report.health?.pauses[0]).toMatchObject({ ended: 'resumed', database: fx.db });
    // No target ran while paused: the first target-end follows `resumed`.
    expect(run.events.findIndex((e) => e.type === 'target-end')).toBeGreaterThan(run.events.findIndex((e) => e.type === 'health' && e.state === 'resumed'));
  });

  it('a long transaction in the fleet database pauses its targets until it ends', async () => {
    await fleetWithPending({ ...only, maxTransactionAgeMs: 300, checkEveryMs: 200 });
    const reporting = await session('reporting-job');
    await reporting.query('BEGIN');
    await reporting.query('SELECT count(*) FROM settings');
    await new Promise((r) => setTimeout(r, 400));
    const run = collect();
    let ended = false;
    const report = await migrate({
      ...fx.options(),
      onEvent: (e) => {
        run.onEvent(e);
        if (e.type === 'health' && e.state === 'paused' && !ended) {
          ended = true;
          setTimeout(() => void reporting.query('COMMIT'), 1_000);
        }
      },
    });
    expect(report.ok).toBe(true);
    const health = run.health();
    expect(health.map((e) => e.state)).toEqual(['paused', 'resumed']);
    expect(health[0]).toMatchObject({ database: fx.db, reasons: [{ check: 'long-transaction', database: fx.db, transactions: 1, maxAgeMs: 300 }] });
    const reason = health[0].reasons[0];
    expect(reason.check === 'long-transaction' && reason.oldest).toMatchObject({ applicationName: 'reporting-job', state: 'idle in transaction' });
    expect(formatRunReport(report)).toMatch(/paused +127\.0\.0\.1:\d+ \(database \w+\) for [\d.]+ s \(resumed; 1 target\(s\) waited\): 1 transaction\(s\) open longer than 0\.3 s/);
  });

  it('a transaction held past maxPauseMs: the waiting targets are NOT RUN, nothing changed, the report and the journal say why', async () => {
    await fleetWithPending({ ...only, maxTransactionAgeMs: 300, checkEveryMs: 200, maxPauseMs: 1_000 });
    const reporting = await session('reporting-job');
    await reporting.query('BEGIN');
    await reporting.query('SELECT 1');
    await new Promise((r) => setTimeout(r, 400));
    const run = collect();
    const report = await migrate(fx.options({ onEvent: run.onEvent, journalDir: fx.project.path('runs') }));
    expect(report.ok).toBe(false);
    // The global track waited and was not started; its tenants are not attempted after it.
    expect(report.summary).toMatchObject({ targets: 4, notRun: 4, changed: 0 });
    const global = report.results.find((r) => r.tenant === null)!;
    expect(global.failed?.error).toMatchObject({ code: 'HEALTH_PAUSE_LIMIT', health: [{ check: 'long-transaction' }] });
    expect(global.failed?.error.message).toMatch(/has been unhealthy for \d+ s, longer than health.maxPauseMs \(1000 ms\): 1 transaction\(s\) open longer than 0\.3 s in database/);
    for (const r of report.results) expect(r.versionAfter).toBe(r.tenant === null ? 'Init1000' : 'Items1000');
    expect(run.health().map((e) => e.state)).toEqual(['paused', 'gave-up']);
    expect(report.health?.pauses[0]).toMatchObject({ ended: 'gave-up', targetsNotStarted: 1 });
    expect(formatRunReport(report)).toMatch(/NOT RUN fx\/main .*HEALTH|NOT RUN fx\/main .*unhealthy/);
    const columns = await withAdmin((c) => c.query("SELECT count(*)::int AS n FROM information_schema.columns WHERE column_name = 'flag'"), fx.db);
    expect(columns.rows[0].n).toBe(0);
    const journal = JSON.parse(readFileSync(join(fx.project.path('runs'), 'latest-fx.json'), 'utf8'));
    expect(journal.health.pauses[0].ended).toBe('gave-up');
  });

  it('Ctrl-C while paused ends the wait at once: the waiting targets are reported INTERRUPTED, nothing changed', async () => {
    await fleetWithPending({ ...only, maxTransactionAgeMs: 300, checkEveryMs: 5_000, maxPauseMs: false });
    const reporting = await session('reporting-job');
    await reporting.query('BEGIN');
    await reporting.query('SELECT 1');
    await new Promise((r) => setTimeout(r, 400));
    const stop = new AbortController();
    let abortedAt = 0;
    const report = await migrate(
      fx.options({
        signal: stop.signal,
        onEvent: (e: FleetEvent) => {
          if (e.type === 'health' && e.state === 'paused')
            setTimeout(() => {
              abortedAt = Date.now();
              stop.abort('SIGINT');
            }, 300);
        },
      }),
    );
    // The wait sleeps 5 s between samples: the abort woke it before a second sample.
    expect(abortedAt).toBeGreaterThan(0);
    expect(report.health?.samples).toBe(1);
    expect(report.interrupted).toBe('SIGINT');
    const global = report.results.find((r) => r.tenant === null)!;
    expect(global.failed?.error).toMatchObject({ code: 'INTERRUPTED' });
    expect(global.failed?.error.message).toMatch(/while it waited for the server to recover/);
    expect(report.summary).toMatchObject({ changed: 0 });
    expect(report.health?.pauses[0]).toMatchObject({ ended: 'run-ended' });
  });

  it('a role that cannot see other sessions (no pg_monitor): one warning, the run goes on', async () => {
    const role = `fleet_t_plain_${process.pid}`;
    await withAdmin(async (c) => {
      await c.query(`DROP ROLE IF EXISTS "${role}"`);
      await c.query(`CREATE ROLE "${role}" LOGIN`);
      await c.query(`CREATE DATABASE "${fx.db}" OWNER "${role}"`);
    });
    try {
      fx.project.writeConfig({ ...(tenantFleetConfig({}, { discover: { list: ['a', 'b'] }, registry: undefined }) as object), health: { checkEveryMs: 100 } });
      fx.project.writeMigration('global', { name: 'Init1000', up: ['CREATE TABLE settings (id int)'] });
      fx.project.writeMigration('tenant', { name: 'Items1000', up: ['CREATE TABLE items (id int)'] });
      const s = testServer();
      const run = collect();
      const report = await migrate({ ...fx.options({ onEvent: run.onEvent }), env: { FX_MAIN_URL: `postgres://${role}@${s.host}:${s.port}/${fx.db}` } });
      expect(report.ok).toBe(true);
      const warnings = run.events.filter((e) => e.type === 'notice' && /health checks on/.test(e.message));
      expect(warnings).toHaveLength(1);
      expect((warnings[0] as { message: string }).message).toContain(`GRANT pg_monitor TO "${role}"`);
      expect(report.health?.warnings).toHaveLength(1);
    } finally {
      await withAdmin(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS "${fx.db}" WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS "${role}"`);
      });
    }
  });
});

async function blockedCount(database: string): Promise<number> {
  return withAdmin(async (c) => (await c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", [database])).rows[0].n);
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `fleet <args>` in a child process (CI mode, the journal in the fixture); `then` runs once stderr matches `when`. */
function fleetCli(args: string[], env: NodeJS.ProcessEnv, when: RegExp, then: () => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(WORKSPACE_ROOT, 'libs', 'fleet', 'bin', 'fleet.js'), ...args], {
    cwd: WORKSPACE_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', FLEET_JOURNAL_DIR: join(args[args.length - 1], '..', 'runs'), ...env },
  });
  let stdout = '';
  let stderr = '';
  let fired = false;
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => {
    stderr += d;
    if (!fired && when.test(stderr)) {
      fired = true;
      then();
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr }))));
}
