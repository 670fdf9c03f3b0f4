/**
 * The fleet-wide paths that must stay linear (issue 21): a no-op migrate settles the tenants at
 * head from one bulk read (no session, lock or round trip per tenant) and sends everything else
 * through the per-target path; the bulk reader reads each version table once, several per round
 * trip, whatever the schema names look like. Speed is measured by `npm run bench:scale`, not here.
 */
import { Client } from 'pg';
import { migrate } from '../src/commands/run-commands';
import { history } from '../src/commands/history';
import type { FleetEvent } from '../src/events';
import { readHistories } from '../src/storage/bulk-history';
import { CONNECTION_RETIRE_AFTER, DatabasePool } from '../src/db/database-pool';
import { Semaphore } from '../src/db/semaphore';
import { targetLockKey, withTargetLock } from '../src/locking/target-lock';
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  FixtureProject,
  MigrationSpec,
  query,
  tenantFleetConfig,
  testServer,
  uniqueName,
  WORKSPACE_ROOT,
  withAdmin,
} from '../src/testing';

const REGISTRY: MigrationSpec = { name: 'CreateTenants1000', up: [`CREATE TABLE tenants (id text PRIMARY KEY)`], down: ['DROP TABLE tenants'] };
const T_USERS: MigrationSpec = { name: 'CreateUsers1000', up: ['CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL)'], down: ['DROP TABLE users'] };
const T_NOTES: MigrationSpec = { name: 'CreateNotes2000', up: ['CREATE TABLE notes (id serial PRIMARY KEY)'], down: ['DROP TABLE notes'] };

describe('fleet-wide paths at scale', () => {
  let project: FixtureProject;
  let db: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    project = new FixtureProject('scale-paths');
    db = uniqueName('fleet_t_scale');
    env = { FX_MAIN_URL: databaseUrl(db) };
    project.writeConfig(tenantFleetConfig({ lockWaitMs: 20_000 }, { discover: { sql: 'SELECT id FROM public.tenants ORDER BY id' }, registry: undefined }));
    project.writeMigration('global', REGISTRY);
    project.writeMigration('tenant', T_USERS);
  });
  afterEach(async () => {
    project.remove();
    await dropDatabase(db);
  });

  const opts = (extra: Record<string, unknown> = {}) => ({ config: project.path('fleet.config.ts'), workspaceRoot: WORKSPACE_ROOT, env, ...extra });
  const addTenants = (list: string[]) => withAdmin((c) => c.query(`INSERT INTO tenants (id) SELECT unnest($1::text[])`, [list]), db);

  it('a no-op migrate settles the tenants at head without a session of their own; the rest run as before', async () => {
    await migrate(opts());
    await addTenants(['a01', 'a02', 'a03', 'a04', 'a05']);
    expect((await migrate(opts())).summary).toMatchObject({ changed: 5, failed: 0 });
    // a06 is new (no history), a05's history was changed behind Fleet's back (a started row), the rest are at head.
    await addTenants(['a06']);
    await query(db, `UPDATE tenant_a05.fleet_migrations SET status = 'started'`);

    const events: FleetEvent[] = [];
    const report = await migrate(opts({ onEvent: (e: FleetEvent) => events.push(e) }));
    const byTenant = new Map(report.results.map((r) => [r.tenant, r]));
    for (const id of ['a01', 'a02', 'a03', 'a04']) {
      expect(byTenant.get(id)).toMatchObject({ outcome: 'unchanged', versionBefore: 'CreateUsers1000', versionAfter: 'CreateUsers1000', failed: null, findings: [] });
    }
    expect(byTenant.get('a06')).toMatchObject({ outcome: 'changed', applied: ['CreateUsers1000'] });
    // The interrupted-looking row is the per-target path's to judge (under the lock), never settled.
    expect(byTenant.get('a05')!.outcome).not.toBe('unchanged');
    expect(byTenant.get('a05')!.findings.length).toBeGreaterThan(0);
    // Only the global target and the two unsettled tenants took a session (target-start); every target ended once.
    const started = events.filter((e): e is Extract<FleetEvent, { type: 'target-start' }> => e.type === 'target-start').map((e) => e.target);
    expect(started.sort()).toEqual(['fx/main', 'fx/main/a05', 'fx/main/a06']);
    const ended = events.filter((e): e is Extract<FleetEvent, { type: 'target-end' }> => e.type === 'target-end').map((e) => e.result.target);
    expect(ended.sort()).toEqual(report.results.map((r) => r.target).sort());
    expect(report.results.map((r) => r.target)).toEqual(['fx/main', ...['a01', 'a02', 'a03', 'a04', 'a05', 'a06'].map((id) => `fx/main/${id}`)]);
  }, 120_000);

  it('a new migration is never settled away: every tenant applies it', async () => {
    await migrate(opts());
    await addTenants(['b01', 'b02', 'b03']);
    await migrate(opts());
    project.writeMigration('tenant', T_NOTES);
    const report = await migrate(opts());
    expect(report.summary).toMatchObject({ targets: 4, changed: 3, unchanged: 1, failed: 0 });
    for (const id of ['b01', 'b02', 'b03']) {
      expect(
        (await query<{ t: string }>(db, `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [`tenant_${id}`])).map((r) => r.t),
      ).toEqual(['fleet_migrations', 'notes', 'users']);
    }
  }, 120_000);

  it('reads each version table once, several per round trip, with odd schema names and missing tables', async () => {
    await migrate(opts());
    const odd = ['Mixed Case', 'quo"te', 'semi;colon', 'plain'];
    const c = new Client({ connectionString: databaseUrl(db) });
    await c.connect();
    try {
      for (const [i, schema] of odd.entries()) {
        const q = `"${schema.replace(/"/g, '""')}"`;
        await c.query(`CREATE SCHEMA ${q}`);
        if (schema === 'plain') continue; // no version table: an empty history
        await c.query(`CREATE TABLE ${q}.fleet_migrations (name text PRIMARY KEY, seq int NOT NULL, timestamp bigint NOT NULL, checksum text, status text NOT NULL,
          method text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), duration_ms int, applied_by text, reason text)`);
        // Rows inserted out of seq order: the reader returns them in the order they were recorded.
        await c.query(`INSERT INTO ${q}.fleet_migrations (name, seq, timestamp, status, method) VALUES ($1, 2, 2, 'applied', 'run'), ($2, 1, 1, 'applied', 'run')`, [
          `Second${i}`,
          `First${i}`,
        ]);
      }
      let roundTrips = 0;
      const session = {
        query: async (sql: string, params?: readonly unknown[]) => (roundTrips++, (await c.query(sql, params as unknown[])).rows),
        queryBatch: async (statements: readonly string[]) => {
          roundTrips++;
          const r = (await c.query(statements.join(';\n'))) as unknown as { rows: unknown[] } | Array<{ rows: unknown[] }>;
          return Array.isArray(r) ? r.map((x) => x.rows) : [r.rows];
        },
      };
      const read = await readHistories(
        session as never,
        odd.map((schema) => ({ schema, table: 'fleet_migrations' })),
      );
      expect(roundTrips).toBe(2); // the catalog look-up, then one batch
      expect(read.statements).toBe(2);
      for (const [i, schema] of odd.entries()) {
        const names = read.histories.get(`${schema}\u0000fleet_migrations`)!.map((r) => r.name);
        expect(names).toEqual(schema === 'plain' ? [] : [`First${i}`, `Second${i}`]);
      }
    } finally {
      await c.end();
    }
  }, 120_000);

  it('history of a fleet reads every tenant through the bulk reader', async () => {
    await migrate(opts());
    await addTenants(['c01', 'c02']);
    await migrate(opts());
    const h = await history(opts());
    expect(h.ok).toBe(true);
    expect(h.targets.filter((t) => t.tenant).map((t) => [t.tenant, t.entries.map((e) => `${e.name}:${e.checksum}`)])).toEqual([
      ['c01', ['CreateUsers1000:ok']],
      ['c02', ['CreateUsers1000:ok']],
    ]);
  }, 120_000);
});

describe('pooled sessions at fleet scale', () => {
  let db: string;
  let pool: DatabasePool;
  beforeAll(async () => {
    db = await createDatabase('fleet_t_retire');
    pool = new DatabasePool(
      { ...testServer(), database: db },
      { applicationName: 'fleet:retire-test', connectTimeoutMs: 5000, serverBudget: new Semaphore(1), maxConnections: 1, idleTimeoutMs: 10_000 },
    );
  });
  afterAll(async () => {
    await pool.close();
    await dropDatabase(db);
  });

  it('replaces a connection once it has served CONNECTION_RETIRE_AFTER tables (its server-side caches only grow)', async () => {
    const first = await pool.withSession(async (s) => s.processId);
    expect(await pool.withSession(async (s) => s.processId)).toBe(first); // reused while young
    // A bulk read of as many statements as the limit: the connection is closed when it comes back.
    await pool.withSession((s) => s.queryBatch(Array.from({ length: CONNECTION_RETIRE_AFTER }, () => 'SELECT 1')));
    const next = await pool.withSession(async (s) => s.processId);
    expect(next).not.toBe(first);
    // The old backend is gone (it may take a moment to exit after its client closed).
    const alive = async () => (await query<{ n: number }>(db, `SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1`, [first]))[0].n;
    for (let i = 0; i < 100 && (await alive()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await alive()).toBe(0);
  }, 60_000);

  it("releases a target's lock with the session's clean-up, before the connection serves anyone else", async () => {
    const key = targetLockKey(db, 'tenant_x', 'fleet_migrations');
    const advisory = () => query<{ n: number }>(db, `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = $1::bigint::oid`, [key.objectId]);
    await pool.withSession(async (s) => {
      await withTargetLock(s, key, { waitMs: 0, target: 'x', unlockWithSession: true }, async () => undefined);
      expect(await advisory()).toEqual([{ n: 1 }]); // still held: it goes with the clean-up statement
    });
    expect(await advisory()).toEqual([{ n: 0 }]);
    // The next session on the same connection starts clean: settings reset, no lock.
    const path = await pool.withSession(async (s) => (await s.query<{ search_path: string }>('SHOW search_path'))[0].search_path);
    expect(path).toBe('"$user", public');
  }, 60_000);
});
