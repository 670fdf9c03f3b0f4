/**
 * Transient failures on a live fleet (issue 20): a concurrent index build behind a long
 * snapshot, a deadlock with the application, a lock held while a non-transactional migration is
 * half-way; each target is requeued and retried, its INVALID indexes dropped, its completed
 * statements never repeated. Non-transient errors are never retried; a migration's own
 * `retries` wins over the database's.
 */
import { Client } from 'pg';
import { migrate } from '../src/commands/run-commands';
import { verify } from '../src/commands/verify';
import type { FleetEvent } from '../src/events';
import { databaseUrl, dropDatabase, FixtureProject, LINT_ALLOW, query, runFleet, tenantFleetConfig, testServer, uniqueName, waitForBackend, WORKSPACE_ROOT } from '../src/testing';

describe('transient failures are retried per target', () => {
  let project: FixtureProject;
  let db: string;
  const held: Client[] = [];
  beforeEach(() => {
    project = new FixtureProject('transient');
    db = uniqueName('fleet_t_transient');
  });
  afterEach(async () => {
    for (const c of held.splice(0)) await c.end().catch(() => undefined);
    project.remove();
    await dropDatabase(db);
  });

  /** A schema-per-tenant fleet whose tenants each have `items` (100 rows); `public.side_effects` counts what migrations did. */
  async function fleet(tenants: string[], dbOptions: Record<string, unknown> = {}) {
    project.writeConfig(tenantFleetConfig(dbOptions, { discover: { list: tenants }, registry: undefined }));
    project.writeMigration('global', { name: 'Init1000', up: ['CREATE TABLE public.side_effects (what text)'] });
    project.writeMigration('tenant', {
      name: 'CreateItems1000',
      up: ['CREATE TABLE items (id int PRIMARY KEY, v int)', 'INSERT INTO items SELECT g, g FROM generate_series(1, 100) g'],
    });
    const opts = { config: project.path('fleet.config.ts'), workspaceRoot: WORKSPACE_ROOT, env: { FX_MAIN_URL: databaseUrl(db) } };
    expect((await migrate(opts)).ok).toBe(true);
    return opts;
  }
  const openClient = async () => {
    const c = new Client({ ...testServer(), database: db });
    await c.connect();
    held.push(c);
    return c;
  };
  const recorder = () => {
    const events: FleetEvent[] = [];
    return { events, onEvent: (e: FleetEvent) => void events.push(e) };
  };
  const invalidCount = async () => (await query<{ n: number }>(db, 'SELECT count(*)::int AS n FROM pg_index WHERE NOT indisvalid'))[0].n;

  it('CREATE INDEX CONCURRENTLY on 20 tenants while a 10 s transaction holds a snapshot: exit 0, 20 at head, 0 INVALID indexes, no user settings', async () => {
    const tenants = Array.from({ length: 20 }, (_, i) => `t${String(i + 1).padStart(2, '0')}`);
    const opts = await fleet(tenants);
    project.writeMigration('tenant', { name: 'IndexItems2000', transaction: false, up: ['CREATE INDEX CONCURRENTLY items_v_idx ON items (v)'] });
    const blocker = await openClient();
    await blocker.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await blocker.query('SELECT count(*) FROM pg_catalog.pg_class'); // the snapshot every CIC must wait out
    // Held for 10 s from the first tenant's start (the pre-migrate lint's scratch run comes before it).
    let release: NodeJS.Timeout | undefined;
    const seen = recorder();
    const onEvent = (e: FleetEvent) => {
      seen.onEvent(e);
      if (!release && e.type === 'target-start' && /\/t\d+$/.test(e.target)) release = setTimeout(() => void blocker.query('COMMIT'), 10_000);
    };
    try {
      const report = await migrate({ ...opts, onEvent });
      expect(report.ok).toBe(true);
      const tenantResults = report.results.filter((r) => r.tenant !== null);
      expect(tenantResults.map((r) => [r.outcome, r.versionAfter])).toEqual(tenants.map(() => ['changed', 'IndexItems2000']));
      // The snapshot outlived the first lock_timeout: tenants were retried, and each failed build's index dropped.
      const retries = seen.events.filter((e): e is Extract<FleetEvent, { type: 'retry' }> => e.type === 'retry');
      expect(retries.length).toBeGreaterThan(0);
      expect(retries.every((e) => e.sqlState === '55P03' && e.kind === 'lock-timeout' && e.nextLockTimeoutMs > e.lockTimeoutMs)).toBe(true);
      const repaired = seen.events.filter((e) => e.type === 'index-repaired');
      expect(repaired.length).toBe(retries.length);
      const retried = tenantResults.filter((r) => r.attempts);
      expect(retried.length).toBeGreaterThan(0);
      for (const r of retried) {
        expect(r.attempts![r.attempts!.length - 1]).toMatchObject({ ok: true, message: 'changed' });
        expect(r.attempts!.slice(0, -1).every((a) => a.sqlState === '55P03' && a.waitMs! > 0)).toBe(true);
        expect(r.repairedIndexes!.map((i) => i.index)).toEqual(r.attempts!.slice(0, -1).map(() => 'items_v_idx'));
      }
    } finally {
      clearTimeout(release);
    }
    expect(release).toBeDefined();
    expect(await invalidCount()).toBe(0);
    expect(await query(db, `SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = 'items_v_idx'`)).toEqual([{ n: 20 }]);
  }, 120_000);

  it('a deadlock with the application is retried; the transaction ran to its end once', async () => {
    // lock_timeout above deadlock_timeout (1 s): the deadlock is detected before the wait times out.
    const opts = await fleet(['t1'], { lockTimeoutMs: 5_000 });
    project.writeMigration('tenant', {
      name: 'Backfill2000',
      up: ['UPDATE items SET v = v + 1000 WHERE id = 2', 'UPDATE items SET v = v + 1000 WHERE id = 1'],
    });
    const app = await openClient();
    await app.query('BEGIN');
    await app.query('UPDATE tenant_t1.items SET v = v + 1 WHERE id = 1');
    const seen = recorder();
    const running = migrate({ ...opts, ...seen });
    await waitForBackend(db, 'WHERE id = 1', 20_000, 200); // the migration waits for the app's row
    // The app now waits for the migration's row: a deadlock; the migration waited first, so it is the one cancelled.
    const appDone = app.query('UPDATE tenant_t1.items SET v = v + 1 WHERE id = 2').then(() => app.query('COMMIT'));
    const report = await running;
    await appDone;
    const t1 = report.results.find((r) => r.tenant === 't1')!;
    expect(t1.outcome).toBe('changed');
    expect(t1.attempts!.map((a) => [a.attempt, a.ok, a.sqlState, a.kind])).toEqual([
      [1, false, '40P01', 'deadlock'],
      [2, true, null, null],
    ]);
    expect(seen.events.filter((e) => e.type === 'retry').map((e) => (e as { sqlState: string }).sqlState)).toEqual(['40P01']);
    // App once (+1), migration once (+1000) per row: the rolled-back first attempt left nothing.
    expect(await query(db, 'SELECT id, v FROM tenant_t1.items WHERE id <= 2 ORDER BY id')).toEqual([
      { id: 1, v: 1 + 1 + 1000 },
      { id: 2, v: 2 + 1 + 1000 },
    ]);
  }, 60_000);

  it('a non-transient error is never retried (its side effect happened once)', async () => {
    const opts = await fleet(['t1']);
    project.writeMigration('tenant', {
      name: 'Broken2000',
      transaction: false,
      members: LINT_ALLOW,
      up: ["INSERT INTO public.side_effects VALUES ('broken')", 'SELECT 1 / 0'],
    });
    const seen = recorder();
    const report = await migrate({ ...opts, ...seen });
    const t1 = report.results.find((r) => r.tenant === 't1')!;
    expect(t1.outcome).toBe('failed');
    expect(t1.failed?.error.sqlState).toBe('22012');
    expect(t1.failed?.transient).toBeUndefined();
    expect(t1.attempts).toBeUndefined();
    expect(seen.events.some((e) => e.type === 'retry')).toBe(false);
    expect(await query(db, 'SELECT what FROM public.side_effects')).toEqual([{ what: 'broken' }]);
  });

  it('a non-transactional migration resumes from its safe point: completed statements are not repeated; attempts in --json', async () => {
    const opts = await fleet(['t1', 't2'], { lockTimeoutMs: 300 });
    project.writeMigration('tenant', {
      name: 'ThreeSteps2000',
      transaction: false,
      members: LINT_ALLOW,
      up: [
        "INSERT INTO public.side_effects SELECT 'first ' || current_schema()",
        'ALTER TABLE items ADD COLUMN note text',
        "INSERT INTO public.side_effects SELECT 'third ' || current_schema()",
      ],
    });
    const blocker = await openClient();
    await blocker.query('BEGIN');
    await blocker.query('SELECT count(*) FROM tenant_t2.items'); // ACCESS SHARE: the ALTER on t2 waits, times out
    const running = runFleet(['migrate', '--config', opts.config, '--json'], opts.env, 90_000);
    // Released once t2's ALTER has waited (its first attempt timed out after 300 ms): a retry lands it.
    await waitForBackend(db, 'ADD COLUMN note', 60_000);
    await new Promise((r) => setTimeout(r, 1_000));
    await blocker.query('COMMIT');
    const run = await running;
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    const t2 = doc.results.find((r: { tenant: string }) => r.tenant === 't2');
    expect(t2.outcome).toBe('changed');
    expect(t2.attempts.length).toBeGreaterThan(1);
    expect(t2.attempts[0]).toMatchObject({ attempt: 1, ok: false, migration: 'ThreeSteps2000', sqlState: '55P03', kind: 'lock-timeout', lockTimeoutMs: 300 });
    expect(t2.attempts[1].lockTimeoutMs).toBe(600);
    expect(t2.attempts[t2.attempts.length - 1]).toMatchObject({ ok: true });
    const lines = run.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    const retry = lines.find((l) => l.type === 'retry');
    expect(retry).toMatchObject({ target: 'fx/main/t2', attempt: 1, migration: 'ThreeSteps2000', sqlState: '55P03', lockTimeoutMs: 300, nextLockTimeoutMs: 600 });
    expect(retry.waitMs).toBeGreaterThan(0);
    expect(lines.find((l) => l.type === 'resume')).toMatchObject({ target: 'fx/main/t2', migration: 'ThreeSteps2000', skipped: 1 });
    // Every statement ran exactly once on each tenant.
    expect(await query(db, 'SELECT what, count(*)::int AS n FROM public.side_effects GROUP BY what ORDER BY what')).toEqual([
      { what: 'first tenant_t1', n: 1 },
      { what: 'first tenant_t2', n: 1 },
      { what: 'third tenant_t1', n: 1 },
      { what: 'third tenant_t2', n: 1 },
    ]);
    expect(await query(db, `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'tenant_t2' AND column_name = 'note'`)).toEqual([{ n: 1 }]);
    expect(await query(db, `SELECT status FROM tenant_t2.fleet_migrations WHERE name = 'ThreeSteps2000'`)).toEqual([{ status: 'applied' }]);
  }, 120_000);

  it("a migration's own retries win over the database's: { count: 0 } fails at the first lock timeout, and says why", async () => {
    const opts = await fleet(['t1'], { lockTimeoutMs: 200, retries: { count: 20 } });
    project.writeMigration('tenant', { name: 'HotTable2000', members: '  retries = { count: 0 };\n', up: ['ALTER TABLE items ADD COLUMN hot int'] });
    const blocker = await openClient();
    await blocker.query('BEGIN');
    await blocker.query('SELECT count(*) FROM tenant_t1.items');
    const seen = recorder();
    const report = await migrate({ ...opts, ...seen });
    await blocker.query('COMMIT');
    const t1 = report.results.find((r) => r.tenant === 't1')!;
    expect(t1.outcome).toBe('failed');
    expect(t1.failed?.transient).toEqual({ kind: 'lock-timeout', sqlState: '55P03' });
    expect(t1.attempts).toEqual([expect.objectContaining({ attempt: 1, ok: false, sqlState: '55P03', waitMs: null, gaveUp: 'retries are off (retries.count 0)' })]);
    expect(seen.events.some((e) => e.type === 'retry')).toBe(false);
  });

  it('a concurrent build that fails for good (duplicate key) is not retried and leaves no INVALID index; verify lists one made by hand and fails', async () => {
    const opts = await fleet(['t1', 't2']);
    project.writeMigration('tenant', { name: 'UniqueBucket2000', transaction: false, up: ['CREATE UNIQUE INDEX CONCURRENTLY items_bucket_uq ON items ((v % 10))'] });
    const seen = recorder();
    const report = await migrate({ ...opts, ...seen });
    for (const r of report.results.filter((x) => x.tenant !== null)) {
      expect(r.outcome).toBe('failed');
      expect(r.failed?.error.sqlState).toBe('23505');
      expect(r.attempts).toBeUndefined();
      expect(r.repairedIndexes).toEqual([{ migration: 'UniqueBucket2000', index: 'items_bucket_uq', table: 'items', attempt: 1 }]);
    }
    expect(seen.events.filter((e) => e.type === 'index-repaired').length).toBe(2);
    expect(await invalidCount()).toBe(0);
    // An INVALID index made outside Fleet (the same failed build, by hand): verify names it (and fails; so do the failed targets).
    await expect(query(db, 'CREATE UNIQUE INDEX CONCURRENTLY items_by_hand ON tenant_t2.items ((v % 10))')).rejects.toThrow(/could not create unique index/);
    const verdict = await verify(opts);
    expect(verdict.ok).toBe(false);
    expect(verdict.invalidIndexes).toEqual([{ target: 'fx/main/t2', schema: 'tenant_t2', index: 'items_by_hand', table: 'items' }]);
  });
});
