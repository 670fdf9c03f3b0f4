/**
 * The tenant pool with the database strategy (tenancy/spare-kinds.ts) on the real server: spare
 * databases made and kept at head by migrate, one renamed into a tenant's database by createTenant
 * (in one transaction with the registry row on the home database), skipped while a session uses
 * it, raced, discarded when it fails, and a tenant from the pool that is exactly what the full
 * track makes. Every database a test caused is dropped after it: its tenants (named after the
 * test's database) and its spares (listed in its fleet_spares, whose rows are written before the
 * spare database exists).
 */
import { Client } from 'pg';
import { withDatabase } from '../src/db/connection-spec';
import { databaseSpares } from '../src/tenancy/spare-kinds';
import { takeFromPool } from '../src/commands/pool-onboard';
import { withRuntime } from '../src/commands/runtime';
import { createTenant, dropTenant, tenantDatabase } from '../src/commands/tenants';
import { migrate } from '../src/commands/run-commands';
import { status } from '../src/commands/status';
import { verify } from '../src/commands/verify';
import { spareLines } from '../src/reporters/spare-lines';
import { dropDatabase, MigrationSpec, query, runFleet, tenantFleetConfig, testServer, useFixture } from '../src/testing';
import { PRO_ONLY, PROJECTS, REGISTRY, USERS } from './pool-tracks';

/** Everything the schema public of a database holds (to compare two tenant databases). */
async function shape(db: string): Promise<string[]> {
  const rows = await query<{ line: string }>(
    db,
    `SELECT c.relkind::text || ' ' || c.relname || coalesce(' ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
              || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), ''), '') AS line
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
      WHERE n.nspname = 'public'
     UNION ALL SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
     UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
     UNION ALL SELECT 'type ' || typname FROM pg_type WHERE typnamespace = 'public'::regnamespace AND typtype = 'e'`,
  );
  return rows.map((r) => r.line).sort();
}

/** The version rows as the planner sees them (applied_at, applied_by and durations differ per run). */
const versionRows = (db: string) => query(db, 'SELECT name, status, method, checksum, reason FROM public.fleet_migrations ORDER BY seq');
const indexRows = (db: string) => query(db, 'SELECT schema, version_table, head, applied, done, skipped FROM public.fleet_index');
const spareNames = async (db: string) => (await query<{ name: string }>(db, 'SELECT name FROM fleet_spares WHERE ready ORDER BY name')).map((r) => r.name);
/** The spare databases of this test: those its pool lists (a spare made by another test is never seen here). */
const spareDatabases = async (db: string) =>
  (
    await query<{ datname: string }>('postgres', `SELECT datname FROM pg_database WHERE datname LIKE 'fleet\\_spare$%' AND datname = ANY($1::text[]) ORDER BY 1`, [
      (await query<{ name: string }>(db, 'SELECT name FROM fleet_spares')).map((r) => r.name),
    ])
  ).map((r) => r.datname);
const databaseExists = async (name: string) => (await query('postgres', 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).length > 0;

// Each case makes a dozen databases and opens a dozen runtimes: on a loaded 2-core machine that passes 30 s.
jest.setTimeout(180_000);

describe('tenant pool, database strategy', () => {
  /** Spare databases this test's pool ever listed (a take renames them, a discard drops them; the rest are dropped after). */
  const seen = new Set<string>();
  // Declared before the fixture: jest-circus runs afterEach hooks in declaration order, so the main database still exists here.
  afterEach(async () => {
    const listed = await query<{ name: string }>(fx.db, 'SELECT name FROM fleet_spares').catch(() => []);
    listed.forEach((r) => seen.add(r.name));
    const tenants = await query<{ datname: string }>('postgres', `SELECT datname FROM pg_database WHERE starts_with(datname, $1)`, [`${fx.db}_`]);
    // At once: each DROP DATABASE waits for a checkpoint, which a busy server makes slow; concurrent drops share one (about a dozen here).
    await Promise.all([...seen, ...tenants.map((t) => t.datname)].map((name) => dropDatabase(name)));
    seen.clear();
  });
  const fx = useFixture('tenant_dbpool');
  const opts = () => fx.options();
  const tenantDb = (id: string) => `${fx.db}_${id}`;
  const remember = async () => (await query<{ name: string }>(fx.db, 'SELECT name FROM fleet_spares')).forEach((r) => seen.add(r.name));

  function setup(size: number, tenantTrack: MigrationSpec[] = [USERS, PROJECTS]) {
    fx.project.writeConfig(
      tenantFleetConfig({}, { strategy: 'database', databaseTemplate: `${fx.db}_{id}`, discover: { sql: 'SELECT id, plan FROM tenants ORDER BY id' }, pool: { size } }),
    );
    fx.project.writeMigration('global', REGISTRY);
    for (const m of tenantTrack) fx.project.writeMigration('tenant', m);
  }

  it('migrate makes spare databases at head; a take renames one into a tenant database exactly like a full-track one; status, verify, refill, drop', async () => {
    setup(3);
    const run = await migrate(opts());
    await remember();
    expect(run.ok).toBe(true);
    expect((run as { pools?: unknown }).pools).toEqual([expect.objectContaining({ database: 'main', size: 3, ready: 3, created: expect.any(Array) })]);
    const spares = await spareNames(fx.db);
    expect(spares).toHaveLength(3);
    expect(await spareDatabases(fx.db)).toEqual(spares);
    for (const s of spares) expect((await versionRows(s)).map((r) => r.name)).toEqual(['CreateUsers1000', 'CreateProjects2000']);
    // No session is left on a spare (migrate closed its pools): a rename would wait for it, then fail.
    // (A backend whose client just hung up can linger in pg_stat_activity a moment on a loaded server: give it half a
    // second, less than the 1 s after which an idle pooled connection would close by itself.)
    const sessionsOnSpares = () => query('postgres', 'SELECT pid FROM pg_stat_activity WHERE datname = ANY($1::text[])', [spares]);
    for (let i = 0; i < 10 && (await sessionsOnSpares()).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await sessionsOnSpares()).toEqual([]);

    const fromPool = await createTenant({ ...opts(), id: 'acme', refill: 'none' });
    expect(fromPool).toMatchObject({ tenant: 'acme', location: tenantDb('acme'), registered: true, path: 'pool', applied: ['CreateUsers1000', 'CreateProjects2000'] });
    expect(spares).toContain(fromPool.spare);
    expect(await databaseExists(fromPool.spare!)).toBe(false);
    expect(await spareDatabases(fx.db)).toEqual(spares.filter((s) => s !== fromPool.spare));
    expect(await query(fx.db, 'SELECT id, plan FROM tenants')).toEqual([{ id: 'acme', plan: 'free' }]);
    expect(await query(fx.db, 'SELECT id, location FROM fleet_tenants')).toEqual([{ id: 'acme', location: tenantDb('acme') }]);

    // The same tenant through the full track, for comparison (the pool is emptied first).
    await query(fx.db, 'UPDATE fleet_spares SET ready = false');
    const full = await createTenant({ ...opts(), id: 'globex' });
    expect(full).toMatchObject({ path: 'full-track', poolFallback: expect.stringContaining('empty') });
    expect(await shape(tenantDb('acme'))).toEqual(await shape(tenantDb('globex')));
    expect((await shape(tenantDb('acme'))).length).toBeGreaterThan(10);
    expect(await versionRows(tenantDb('acme'))).toEqual(await versionRows(tenantDb('globex')));
    // The fleet index row lives inside the tenant database: it came with the rename.
    expect(await indexRows(tenantDb('acme'))).toEqual(await indexRows(tenantDb('globex')));
    expect(await indexRows(tenantDb('acme'))).toHaveLength(1);
    await query(fx.db, 'UPDATE fleet_spares SET ready = true');

    const st = await status(opts());
    expect(st.summary).toMatchObject({ targets: 3, 'at-head': 3 });
    expect(st.spares).toHaveLength(2);
    expect(st.spares!.every((s) => s.kind === 'spare' && s.ready && s.state === 'at-head')).toBe(true);
    expect(spareLines(st)).toEqual(['SPARES   fx/main (tenant pool): 2 spare(s), 2 ready at head']);
    expect(await verify(opts())).toMatchObject({ ok: true, spares: { total: 2, atHead: 2 }, index: { repaired: { added: 0, corrected: 0, removed: 0 } } });

    // The background refill replaces the two spares taken.
    const next = await createTenant({ ...opts(), id: 'initech' });
    expect(next).toMatchObject({ path: 'pool', location: tenantDb('initech') });
    expect(await next.refill).toMatchObject({ size: 3, ready: 3, created: [expect.stringMatching(/^fleet_spare\$/), expect.stringMatching(/^fleet_spare\$/)] });
    await remember();
    expect(await spareDatabases(fx.db)).toHaveLength(3);

    // Drop after a pool create: database, registry row and ledger row go.
    expect(await dropTenant({ ...opts(), id: 'acme', confirm: true })).toEqual({ tenant: 'acme', dropped: `database ${tenantDb('acme')}` });
    expect(await databaseExists(tenantDb('acme'))).toBe(false);
    expect(await query(fx.db, 'SELECT id FROM tenants ORDER BY id')).toEqual([{ id: 'globex' }, { id: 'initech' }]);
    expect(await query(fx.db, 'SELECT id FROM fleet_tenants ORDER BY id')).toEqual([{ id: 'globex' }, { id: 'initech' }]);
  });

  it('a session held open on a spare makes the take skip it (not fail, not wait); with no other spare, the full track', async () => {
    setup(2, [USERS]);
    await migrate(opts());
    await remember();
    const [busy, free] = await spareNames(fx.db);
    const holder = new Client({ ...testServer(), database: busy });
    await holder.connect();
    try {
      // The oldest spare comes first: make the busy one the oldest.
      await query(fx.db, `UPDATE fleet_spares SET created_at = created_at - interval '1 hour' WHERE name = $1`, [busy]);
      const started = Date.now();
      const taken = await createTenant({ ...opts(), id: 'acme', refill: 'none' });
      expect(taken).toMatchObject({ path: 'pool', spare: free });
      // PostgreSQL would wait up to 5 s for the session to leave before refusing the rename (55006): the take looked first.
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(await databaseExists(busy)).toBe(true);
      const fallback = await createTenant({ ...opts(), id: 'globex', refill: 'none' });
      expect(fallback).toMatchObject({ path: 'full-track', poolFallback: expect.stringContaining('busy'), applied: ['CreateUsers1000'] });
      expect(await spareNames(fx.db)).toEqual([busy]);
    } finally {
      await holder.end();
    }
    expect(await createTenant({ ...opts(), id: 'initech', refill: 'none' })).toMatchObject({ path: 'pool', spare: busy });
    expect(await versionRows(tenantDb('initech'))).toEqual(await versionRows(tenantDb('globex')));
  });

  it('inside a runtime (the path with the embedded server): a pool the runtime holds on a spare is closed before the rename', async () => {
    setup(2, [USERS]);
    await migrate(opts());
    await remember();
    const [first] = await spareNames(fx.db);
    await query(fx.db, `UPDATE fleet_spares SET created_at = created_at - interval '1 hour' WHERE name = $1`, [first]);
    const taken = await withRuntime(opts(), { createDatabases: true }, async (runtime) => {
      const d = tenantDatabase(runtime, undefined);
      // A long-lived process that once read the spare keeps a pool of connections to it.
      await (await runtime.connections.pool(withDatabase(d.spec, first))).withSession((session) => session.query('SELECT 1'));
      return takeFromPool(runtime, d, 'acme', {});
    });
    expect(taken).toMatchObject({ spare: first, applied: ['CreateUsers1000'] });
    expect(await databaseExists(first)).toBe(false);
    expect(await versionRows(tenantDb('acme'))).toEqual([expect.objectContaining({ name: 'CreateUsers1000', status: 'applied' })]);
    expect(await query(fx.db, 'SELECT id, location FROM fleet_tenants')).toEqual([{ id: 'acme', location: tenantDb('acme') }]);
  });

  it('an id that exists stays idempotent; a deploy adding migrations: the take falls back, migrate brings the spares to head', async () => {
    setup(2, [USERS]);
    await migrate(opts());
    await remember();
    expect(await createTenant({ ...opts(), id: 'acme', refill: 'none' })).toMatchObject({ path: 'pool' });
    const again = await createTenant({ ...opts(), id: 'acme', refill: 'none' });
    expect(again).toMatchObject({ registered: false, path: 'full-track', applied: [], poolFallback: `database ${tenantDb('acme')} exists already` });
    expect(await spareNames(fx.db)).toHaveLength(1);

    fx.project.writeMigration('tenant', { name: 'AddNickname3000', up: ['ALTER TABLE users ADD COLUMN nickname text'] });
    const behind = await createTenant({ ...opts(), id: 'globex', refill: 'none' });
    expect(behind).toMatchObject({ path: 'full-track', poolFallback: expect.stringContaining('behind the code') });
    expect((await status(opts())).spares).toEqual([expect.objectContaining({ state: 'pending', pending: ['AddNickname3000'] })]);
    expect(await verify(opts())).toMatchObject({ ok: false, stragglers: expect.arrayContaining([expect.objectContaining({ kind: 'spare', state: 'pending' })]) });

    const run = await migrate(opts());
    await remember();
    expect((run as { pools?: Array<{ migrated: string[] }> }).pools?.[0].migrated).toHaveLength(1);
    expect(await spareNames(fx.db)).toHaveLength(2);
    const after = await createTenant({ ...opts(), id: 'initech', refill: 'none' });
    expect(after).toMatchObject({ path: 'pool', applied: ['CreateUsers1000', 'AddNickname3000'] });
    expect(await shape(tenantDb('initech'))).toEqual(await shape(tenantDb('globex')));
    expect(await verify(opts())).toMatchObject({ ok: true });
  });

  it("conditional migrations: a take only when the tenant decides as the spares did; a skipped row says why in the tenant's words", async () => {
    setup(2, [USERS, { name: 'ProOnly2000', up: ['CREATE TABLE reports (id int)'], members: PRO_ONLY }]);
    await migrate(opts());
    await remember();
    const pro = await createTenant({ ...opts(), id: 'acme', attributes: { plan: 'pro' }, refill: 'none' });
    expect(pro).toMatchObject({
      path: 'full-track',
      poolFallback: 'ProOnly2000 applies to this tenant but was skipped by the spares',
      applied: ['CreateUsers1000', 'ProOnly2000'],
    });
    const free = await createTenant({ ...opts(), id: 'globex', attributes: { plan: 'free' }, refill: 'none' });
    expect(free.path).toBe('pool');
    await query(fx.db, 'UPDATE fleet_spares SET ready = false');
    await createTenant({ ...opts(), id: 'hooli', attributes: { plan: 'free' }, refill: 'none' });
    expect((await versionRows(tenantDb('globex')))[1]).toMatchObject({ status: 'skipped', reason: 'plan is free, pro only' });
    expect(await versionRows(tenantDb('globex'))).toEqual(await versionRows(tenantDb('hooli')));
    expect(await shape(tenantDb('globex'))).toEqual(await shape(tenantDb('hooli')));
  });

  it('a spare that fails a migration is dropped (its database too) and replaced', async () => {
    setup(2, [USERS]);
    await migrate(opts());
    await remember();
    const [broken, healthy] = await spareNames(fx.db);
    await query(broken, 'CREATE TABLE public.audit (x int)');
    fx.project.writeMigration('tenant', { name: 'CreateAudit2000', up: ['CREATE TABLE audit (id int)'] });
    const run = (await migrate(opts())) as Awaited<ReturnType<typeof migrate>> & {
      pools?: Array<{ discarded: Array<{ spare: string; reason: string }>; created: string[]; ready: number }>;
    };
    await remember();
    expect(run.ok).toBe(true);
    expect(run.pools?.[0]).toMatchObject({ ready: 2, discarded: [{ spare: broken, reason: expect.stringContaining('CreateAudit2000 failed') }], created: [expect.any(String)] });
    expect(await databaseExists(broken)).toBe(false);
    const now = await spareNames(fx.db);
    expect(now).toContain(healthy);
    expect(await spareDatabases(fx.db)).toEqual(now);
    expect(await verify(opts())).toMatchObject({ ok: true, spares: { total: 2, atHead: 2 } });
    // The pool shrinks (a second config, as a deploy would bring: jest caches the first module): the surplus spare database is dropped with its row.
    const smaller = fx.project.writeFile(
      'small/fleet.config.ts',
      `export default ${JSON.stringify(
        tenantFleetConfig(
          { migrations: '../global' },
          { strategy: 'database', migrations: '../tenant', databaseTemplate: `${fx.db}_{id}`, discover: { sql: 'SELECT id FROM tenants ORDER BY id' }, pool: { size: 1 } },
        ),
      )};\n`,
    );
    const shrunk = (await migrate({ ...opts(), config: smaller })) as typeof run;
    expect(shrunk.pools?.[0]).toMatchObject({ ready: 1, discarded: [expect.objectContaining({ reason: "the pool's size is 1" })] });
    expect(await spareDatabases(fx.db)).toHaveLength(1);
  });

  it("a spare database dropped behind Fleet's back is skipped by the take, and migrate replaces it", async () => {
    setup(2, [USERS]);
    await migrate(opts());
    await remember();
    const [gone, other] = await spareNames(fx.db);
    await query(fx.db, `UPDATE fleet_spares SET created_at = created_at - interval '1 hour' WHERE name = $1`, [gone]);
    await dropDatabase(gone);
    expect(await createTenant({ ...opts(), id: 'acme', refill: 'none' })).toMatchObject({ path: 'pool', spare: other });
    expect(await createTenant({ ...opts(), id: 'globex', refill: 'none' })).toMatchObject({ path: 'full-track', poolFallback: expect.stringContaining('busy') });
    const run = (await migrate(opts())) as Awaited<ReturnType<typeof migrate>> & { pools?: Array<{ discarded: Array<{ spare: string }>; ready: number }> };
    await remember();
    expect(run.pools?.[0]).toMatchObject({ ready: 2, discarded: [expect.objectContaining({ spare: gone })] });
    expect(await spareDatabases(fx.db)).toHaveLength(2);
  });

  it('a spare whose database is not made yet (a refill under way, or one that died) is listed as not ready by status and verify, not as an error', async () => {
    setup(2);
    expect((await migrate(opts())).ok).toBe(true);
    await remember();
    await query(fx.db, `INSERT INTO fleet_spares (name) VALUES ('fleet_spare$0123456789ab')`);
    const st = await status(opts());
    expect(st.ok).toBe(true);
    expect(st.summary).toMatchObject({ targets: 1, 'at-head': 1 });
    expect(st.spares).toHaveLength(3);
    expect(st.spares!.filter((s) => !s.ready)).toEqual([expect.objectContaining({ kind: 'spare', ready: false })]);
    expect(await verify(opts())).toMatchObject({ ok: true, spares: { total: 3, atHead: 2 } });
    // The next migrate makes it (or drops its row): the pool is whole again.
    expect((await migrate(opts())).ok).toBe(true);
    await remember();
    expect(await spareNames(fx.db)).toHaveLength(2);
  });

  it("a tenant database made outside Fleet between the take's check and its rename: the take says so, not 'busy'", async () => {
    setup(1);
    expect((await migrate(opts())).ok).toBe(true);
    await remember();
    const [spare] = await spareNames(fx.db);
    await query('postgres', `CREATE DATABASE "${tenantDb('late')}"`);
    const home = new Client({ ...testServer(), database: fx.db });
    await home.connect();
    try {
      const session = { query: async (sql: string, params?: unknown[]) => (await home.query(sql, params)).rows };
      await home.query('BEGIN');
      const names = { spare, place: tenantDb('late'), tenantSchema: 'public', versionTable: 'fleet_migrations', globalSchema: 'public', indexSchema: 'public' };
      expect(await databaseSpares.rename(session, names)).toBe('exists');
      await home.query('ROLLBACK');
    } finally {
      await home.end();
    }
    expect(await spareDatabases(fx.db)).toEqual([spare]);
  });

  it("a session that ends while the take looks does not make the spare busy: each look reads pg_stat_activity afresh, not the transaction's snapshot", async () => {
    setup(1, [USERS]);
    expect((await migrate(opts())).ok).toBe(true);
    await remember();
    const [spare] = await spareNames(fx.db);
    // The caller's own connection to the spare (a long-lived process's pool), closed by release(), as the take does.
    const own = new Client({ ...testServer(), database: spare });
    await own.connect();
    const home = new Client({ ...testServer(), database: fx.db });
    await home.connect();
    try {
      const session = { query: async (sql: string, params?: unknown[]) => (await home.query(sql, params)).rows };
      const on = async <T>(database: string, fn: (s: typeof session) => Promise<T>): Promise<T> => {
        const c = new Client({ ...testServer(), database });
        await c.connect();
        try {
          return await fn({ query: async (sql: string, params?: unknown[]) => (await c.query(sql, params)).rows });
        } finally {
          await c.end();
        }
      };
      const sessions = {
        database: fx.db,
        onDatabase: on,
        onMaintenance: <T>(fn: (s: typeof session) => Promise<T>) => on('postgres', fn),
        release: async () => {
          const pid = (own as unknown as { processID: number }).processID;
          await own.end();
          return [pid];
        },
      };
      await home.query('BEGIN');
      // The take's transaction read pg_stat_activity once while the connection was open: PostgreSQL keeps that
      // snapshot for the rest of the transaction unless it is cleared.
      expect(await session.query('SELECT pid FROM pg_catalog.pg_stat_activity WHERE datname = $1', [spare])).toHaveLength(1);
      const names = { spare, place: tenantDb('fresh'), tenantSchema: 'public', versionTable: 'fleet_migrations', globalSchema: 'public', indexSchema: 'public' };
      const history = await databaseSpares.readHistory(session, sessions, names);
      expect(history).not.toBe('busy');
      expect((history as Array<{ name: string }>).map((h) => h.name)).toEqual(['CreateUsers1000']);
      await home.query('ROLLBACK');
    } finally {
      await home.end();
      await own.end().catch(() => undefined);
    }
  });

  it('8 concurrent creates with a pool of 3: three distinct spares, the rest the full track, all at head; the CLI says which path', async () => {
    setup(3, [USERS]);
    await migrate(opts());
    await remember();
    const ids = Array.from({ length: 8 }, (_, i) => `c${i}`);
    const results = await Promise.all(ids.map((id) => createTenant({ ...opts(), id, refill: 'none' })));
    const pooled = results.filter((r) => r.path === 'pool');
    expect(pooled).toHaveLength(3);
    expect(new Set(pooled.map((r) => r.spare)).size).toBe(3);
    expect(await spareDatabases(fx.db)).toEqual([]);
    expect((await status(opts())).summary).toMatchObject({ targets: 9, 'at-head': 9 });

    await migrate(opts());
    await remember();
    const config = fx.project.path('fleet.config.ts');
    const text = await runFleet(['tenant', 'create', 'acme', '--config', config], fx.env);
    await remember();
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`tenant acme: created in ${tenantDb('acme')} \\(fx/main/acme\\) from the pool \\(spare fleet_spare\\$[0-9a-f]{12} renamed`));
    expect(text.stdout).toContain('pool: 3 of 3 spare(s) ready (1 made)');
  });
});
