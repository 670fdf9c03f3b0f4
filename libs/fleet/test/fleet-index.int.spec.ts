/**
 * The fleet index on the real server: kept true by the transaction that changes a target's
 * version (migrate, revert, tenant create and drop, a failed migration, a non-transactional one),
 * status answered from it, a version table changed behind Fleet's back found and repaired by
 * verify, and an index that does not exist (a fleet migrated by an older Fleet).
 */
import { migrate, revert } from '../src/commands/run-commands';
import { status } from '../src/commands/status';
import { verify } from '../src/commands/verify';
import { proveIndex } from '../src/commands/verify-index';
import { withRuntime } from '../src/commands/runtime';
import { createTenant, dropTenant } from '../src/commands/tenants';
import { databaseUrl, dropDatabase, query, tenantFleetConfig, uniqueName, useFixture, withAdmin } from '../src/testing';
import type { MigrationSpec } from '../src/testing';

const REGISTRY: MigrationSpec = { name: 'CreateTenants1000', up: [`CREATE TABLE tenants (id text PRIMARY KEY, plan text NOT NULL DEFAULT 'free')`], down: ['DROP TABLE tenants'] };
const USERS: MigrationSpec = { name: 'CreateUsers1000', up: ['CREATE TABLE users (id serial PRIMARY KEY, email text)'], down: ['DROP TABLE users'] };
const PROJECTS: MigrationSpec = { name: 'CreateProjects2000', up: ['CREATE TABLE projects (id serial PRIMARY KEY)'], down: ['DROP TABLE projects'] };
const TENANTS = ['t001', 't002', 't003', 't004'];

interface Row {
  schema: string;
  head: string | null;
  applied: number;
  done: number;
  started: string | null;
  updated_at: string;
}

describe('fleet index', () => {
  const fx = useFixture('fleet_index');

  beforeEach(() => {
    fx.project.writeConfig(tenantFleetConfig({ lockWaitMs: 20_000 }));
    fx.project.writeMigration('global', REGISTRY);
    fx.project.writeMigration('tenant', USERS);
  });

  let extra: string[] = [];
  afterEach(async () => {
    for (const name of extra) await dropDatabase(name);
    extra = [];
  });
  const opts = <T extends object = object>(extra?: T) => fx.options({ concurrency: 2, ...(extra as T) });
  const indexRows = async (): Promise<Map<string, Row>> =>
    new Map(
      (await query<Row>(fx.db, 'SELECT schema, head, applied, done, started, updated_at::text AS updated_at FROM public.fleet_index ORDER BY schema')).map((r) => [r.schema, r]),
    );
  /** A fleet of four tenants at CreateProjects2000 (the global track's row is `public`). */
  const fleetAtHead = async () => {
    await migrate(opts());
    await withAdmin((c) => c.query('INSERT INTO tenants (id) SELECT unnest($1::text[])', [TENANTS]), fx.db);
    fx.project.writeMigration('tenant', PROJECTS);
    expect((await migrate(opts())).ok).toBe(true);
  };

  it('migrate writes one row per target in the same statement as the version change; status answers from it', async () => {
    await fleetAtHead();
    const rows = await indexRows();
    expect([...rows.keys()]).toEqual(['public', ...TENANTS.map((t) => `tenant_${t}`)]);
    expect(rows.get('public')).toMatchObject({ head: 'CreateTenants1000', applied: 1, done: 1, started: null });
    for (const t of TENANTS) expect(rows.get(`tenant_${t}`)).toMatchObject({ head: 'CreateProjects2000', applied: 2, done: 2, started: null });

    const st = await status(opts());
    expect(st.summary).toMatchObject({ targets: 5, 'at-head': 5 });
    expect(st.index).toMatchObject({ databases: 1, fromIndex: 5, readFromTables: 0, missing: [], neverVerified: [`${fx.db}.public`], oldestVerifiedAt: null });
    expect(st.index!.warnings.join('\n')).toMatch(/never verified.*run fleet verify/);
    // The histories from the index are those the version tables hold.
    const t1 = st.targets.find((t) => t.tenant === 't001')!;
    expect(t1).toMatchObject({ state: 'at-head', applied: ['CreateUsers1000', 'CreateProjects2000'], version: 'CreateProjects2000', pending: [] });

    const v = await verify(opts());
    expect(v.ok).toBe(true);
    expect(v.index).toMatchObject({ databases: 1, built: [], repaired: { added: 0, corrected: 0, removed: 0 }, repairs: [], stamped: true });
    const after = await status(opts());
    expect(after.index).toMatchObject({ fromIndex: 5, neverVerified: [], changedSinceVerify: 0, warnings: [] });
    expect(after.index!.oldestVerifiedAt).not.toBeNull();
  });

  it('revert, tenant create and tenant drop keep the index true; status says which tenant is behind', async () => {
    await fleetAtHead();
    await verify(opts());
    const reverted = await revert(opts({ tenants: ['t002'], steps: 1, yes: true }));
    expect(reverted.ok).toBe(true);
    expect((await indexRows()).get('tenant_t002')).toMatchObject({ head: 'CreateUsers1000', applied: 1, done: 1 });
    const st = await status(opts());
    expect(st.targets.find((t) => t.tenant === 't002')).toMatchObject({ state: 'pending', pending: ['CreateProjects2000'], version: 'CreateUsers1000' });
    expect(st.summary).toMatchObject({ 'at-head': 4, pending: 1 });
    expect(st.behind).toEqual({ '1': 1 });
    expect(st.index).toMatchObject({ fromIndex: 5, readFromTables: 0, changedSinceVerify: 1 });

    await createTenant(opts({ id: 'acme' }));
    expect((await indexRows()).get('tenant_acme')).toMatchObject({ head: 'CreateProjects2000', applied: 2 });
    await dropTenant(opts({ id: 't004', confirm: true }));
    const rows = await indexRows();
    expect(rows.has('tenant_t004')).toBe(false);
    expect(rows.has('tenant_acme')).toBe(true);
    // Everything Fleet did was written as it happened: verify finds nothing to repair.
    const v = await verify(opts());
    expect(v.index.repaired).toEqual({ added: 0, corrected: 0, removed: 0 });
  });

  it('a migration that fails rolls its transaction back and the index row with it; a failed non-transactional one marks the row', async () => {
    await fleetAtHead();
    const before = await indexRows();
    // t003 already has the table the next migration creates: that migration fails there alone.
    await withAdmin((c) => c.query('CREATE TABLE tenant_t003.audit (id int)'), fx.db);
    fx.project.writeMigration('tenant', { name: 'CreateAudit3000', up: ['CREATE TABLE audit (id serial PRIMARY KEY)'], down: ['DROP TABLE audit'] });
    const run = await migrate(opts());
    expect(run.ok).toBe(false);
    const rows = await indexRows();
    expect(rows.get('tenant_t003')).toEqual(before.get('tenant_t003')); // same row, same updated_at
    expect(rows.get('tenant_t001')).toMatchObject({ head: 'CreateAudit3000', applied: 3 });
    expect((await status(opts())).targets.find((t) => t.tenant === 't003')).toMatchObject({ state: 'pending', pending: ['CreateAudit3000'] });

    // Outside a transaction, each recorded step writes the row: `started` stays after a failure.
    await withAdmin((c) => c.query('CREATE TABLE tenant_t001.idx_target (id int); CREATE INDEX idx_name ON tenant_t001.idx_target (id)'), fx.db);
    fx.project.writeMigration('tenant', {
      name: 'IndexConcurrently4000',
      up: ['CREATE TABLE IF NOT EXISTS idx_target (id int)', 'CREATE INDEX CONCURRENTLY idx_name ON idx_target (id)'],
      transaction: false,
    });
    await migrate(opts({ tenants: ['t001', 't002'] }));
    const marked = await indexRows();
    expect(marked.get('tenant_t001')).toMatchObject({ started: 'IndexConcurrently4000', applied: 3 });
    expect(marked.get('tenant_t002')).toMatchObject({ started: null, head: 'IndexConcurrently4000', applied: 4 });
    const st = await status(opts());
    // A row with an interrupted migration proves nothing: that target is read from its version table.
    expect(st.targets.find((t) => t.tenant === 't001')).toMatchObject({ state: 'failed' });
    expect(st.index!.readFromTables).toBeGreaterThanOrEqual(1);
    expect((await verify(opts())).index.repaired).toEqual({ added: 0, corrected: 0, removed: 0 });
  });

  it("a version table changed behind Fleet's back is found and repaired by the next verify, which says which and how", async () => {
    await fleetAtHead();
    await verify(opts());
    await withAdmin(
      (c) =>
        c.query(`DELETE FROM tenant_t001.fleet_migrations WHERE name = 'CreateProjects2000';
                 UPDATE tenant_t002.fleet_migrations SET checksum = 'tampered' WHERE name = 'CreateUsers1000';
                 DROP SCHEMA tenant_t003 CASCADE; DELETE FROM tenants WHERE id = 't003'`),
      fx.db,
    );
    // Status cannot see it (the index was not told): it says when the index was last verified.
    const st = await status(opts());
    expect(st.targets.find((t) => t.tenant === 't001')).toMatchObject({ state: 'at-head' });
    expect(st.index!.oldestVerifiedAt).not.toBeNull();

    const v = await verify(opts());
    expect(v.index.repaired).toEqual({ added: 0, corrected: 2, removed: 1 });
    expect(v.index.repairs).toEqual(
      expect.arrayContaining([
        {
          target: 'fx/main/t001',
          change: 'corrected',
          was: { head: 'CreateProjects2000', applied: 2, skipped: 0, started: null },
          now: { head: 'CreateUsers1000', applied: 1, skipped: 0, started: null },
        },
        expect.objectContaining({ target: 'fx/main/t002', change: 'corrected' }),
        expect.objectContaining({ target: 'tenant_t003.fleet_migrations', change: 'removed', now: null }),
      ]),
    );
    const after = await status(opts());
    expect(after.targets.find((t) => t.tenant === 't001')).toMatchObject({ state: 'pending', pending: ['CreateProjects2000'] });
    // The changed checksum does not match the code: that tenant is read from its table and diverges.
    expect(after.targets.find((t) => t.tenant === 't002')).toMatchObject({ state: 'diverged' });
    expect(after.index).toMatchObject({ fromIndex: 3, readFromTables: 1 });
    expect([...(await indexRows()).keys()]).not.toContain('tenant_t003');
  });

  it('verify reads and proves a slice at a time: repairs in every slice, rows of no target removed once all were read, stamped', async () => {
    await fleetAtHead();
    await verify(opts());
    // Slices of two targets: [public, t001], [t002, t004] (t003 is gone behind Fleet's back). Tampered in both.
    await withAdmin(
      (c) =>
        c.query(`DELETE FROM tenant_t001.fleet_migrations WHERE name = 'CreateProjects2000';
                 DELETE FROM tenant_t004.fleet_migrations WHERE name = 'CreateProjects2000';
                 DROP SCHEMA tenant_t003 CASCADE; DELETE FROM tenants WHERE id = 't003'`),
      fx.db,
    );
    const seen: string[] = [];
    const proof = await withRuntime(opts(), { createDatabases: false }, async (runtime) => {
      const tenants = await runtime.tenantTargets();
      return proveIndex(runtime, [...runtime.globalTargets(), ...tenants.targets], true, (t, h, position) => seen.push(`${position} ${t.id}:${h.records.length}`), 2);
    });
    // Each target once, with its place in the list (slices finish in any order).
    expect(seen.sort()).toEqual(['0 fx/main:1', '1 fx/main/t001:1', '2 fx/main/t002:2', '3 fx/main/t004:1']);
    expect(proof).toMatchObject({ databases: 1, repaired: { added: 0, corrected: 2, removed: 1 }, stamped: true, unproven: [] });
    expect(proof.repairs.map((r) => `${r.target} ${r.change}`).sort()).toEqual(['fx/main/t001 corrected', 'fx/main/t004 corrected', 'tenant_t003.fleet_migrations removed']);
    const rows = await indexRows();
    expect([...rows.keys()]).toEqual(['public', 'tenant_t001', 'tenant_t002', 'tenant_t004']);
    expect(rows.get('tenant_t004')).toMatchObject({ head: 'CreateUsers1000', applied: 1 });
    // The command agrees, and has nothing left to repair.
    const v = await verify(opts());
    expect(v).toMatchObject({ ok: false, targets: 4, atHead: 2, index: { repaired: { added: 0, corrected: 0, removed: 0 }, stamped: true } });
    expect(v.stragglers.map((s) => `${s.target} ${s.state}`)).toEqual(['fx/main/t001 pending', 'fx/main/t004 pending']);
  });

  it('a row of no listed target written while verify runs is newer than the proof and stays; an older one is removed', async () => {
    await fleetAtHead();
    // t004's row was there before the proof: its tenant is unregistered behind Fleet's back.
    await withAdmin((c) => c.query(`DELETE FROM tenants WHERE id = 't004'`), fx.db);
    // A row another process writes while the proof reads (a tenant created meanwhile): stamped after the proof opened the index.
    await withAdmin(
      (c) =>
        c.query(`INSERT INTO public.fleet_index (schema, version_table, head, applied, done, skipped, started, digest, updated_at, updated_by)
                 VALUES ('tenant_t005', 'fleet_migrations', 'CreateProjects2000', 2, 2, '{}', NULL, 'x', clock_timestamp() + interval '1 minute', 'another run')`),
      fx.db,
    );
    const proof = await withRuntime(opts(), { createDatabases: false }, async (runtime) => {
      const tenants = await runtime.tenantTargets();
      return proveIndex(runtime, [...runtime.globalTargets(), ...tenants.targets], true, () => undefined);
    });
    expect(proof).toMatchObject({ repaired: { added: 0, corrected: 0, removed: 1 }, stamped: true });
    expect(proof.repairs.map((r) => `${r.target} ${r.change}`)).toEqual(['tenant_t004.fleet_migrations removed']);
    expect([...(await indexRows()).keys()]).toEqual(['public', 'tenant_t001', 'tenant_t002', 'tenant_t003', 'tenant_t005']);
  });

  it('verify removes rows of targets that are gone only when discovery listed every tenant, and stamps only then', async () => {
    await fleetAtHead();
    // t004 is no longer registered (its row is stale); a registry row with an unusable id makes discovery incomplete.
    await withAdmin((c) => c.query(`DELETE FROM tenants WHERE id = 't004'; INSERT INTO tenants (id) VALUES ('Bad Id')`), fx.db);
    const partial = await verify(opts());
    expect(partial.index).toMatchObject({ repaired: { added: 0, corrected: 0, removed: 0 }, stamped: false });
    expect((await indexRows()).has('tenant_t004')).toBe(true);
    await withAdmin((c) => c.query(`DELETE FROM tenants WHERE id = 'Bad Id'`), fx.db);
    const whole = await verify(opts());
    expect(whole.index).toMatchObject({ repaired: { added: 0, corrected: 0, removed: 1 }, stamped: true });
    expect((await indexRows()).has('tenant_t004')).toBe(false);
  });

  it('without an index (an older Fleet migrated the fleet) status reads the version tables and says to run verify, which builds it', async () => {
    await fleetAtHead();
    await withAdmin((c) => c.query('DROP TABLE public.fleet_index, public.fleet_index_meta'), fx.db);
    const st = await status(opts());
    expect(st.summary).toMatchObject({ targets: 5, 'at-head': 5 });
    expect(st.index).toMatchObject({ databases: 0, missing: [`${fx.db}.public`], fromIndex: 0, readFromTables: 5 });
    // Tenants whose version tables hold the same migrations share one history (and so one
    // comparison with the code): 100,000 of them are not 100,000 histories held at once.
    const tenantsOf = (report: typeof st) => report.targets.filter((t) => t.tenant !== null);
    const [first, ...others] = tenantsOf(st);
    for (const t of others) expect(t.applied).toBe(first.applied);
    // Histories that differ stay apart: one tenant's last row removed behind Fleet's back.
    await withAdmin((c) => c.query(`DELETE FROM tenant_t003.fleet_migrations WHERE name = 'CreateProjects2000'`), fx.db);
    const behind = await status(opts());
    expect(behind.summary).toMatchObject({ 'at-head': 4, pending: 1 });
    expect(tenantsOf(behind).find((t) => t.tenant === 't003')).toMatchObject({ state: 'pending', applied: ['CreateUsers1000'], pending: ['CreateProjects2000'] });
    expect(
      tenantsOf(behind)
        .filter((t) => t.state === 'at-head')
        .map((t) => t.applied),
    ).toEqual(Array(3).fill(['CreateUsers1000', 'CreateProjects2000']));
    expect(st.index!.warnings.join('\n')).toMatch(/no fleet index in .*run fleet verify to build the index/);

    const v = await verify(opts());
    expect(v.index).toMatchObject({ built: [`${fx.db}.public`], builtRows: 5, repaired: { added: 0, corrected: 0, removed: 0 }, stamped: true });
    expect((await status(opts())).index).toMatchObject({ fromIndex: 5, readFromTables: 0, warnings: [] });
  });
  it('database per tenant: each tenant database holds its own index, kept by its own transactions, proven by verify', async () => {
    const prefix = uniqueName('fleet_t_ixdb');
    const tenantDbs = [`${prefix}_acme`, `${prefix}_globex`];
    extra.push(...tenantDbs);
    fx.project.writeConfig({
      app: 'fx',
      databases: {
        main: {
          migrations: './global',
          createDatabase: true,
          urlEnv: 'FX_MAIN_URL',
          tenants: { strategy: 'database', migrations: './tenant', databaseTemplate: `${prefix}_{id}`, discover: { list: ['acme', 'globex'] } },
        },
      },
    });
    fx.project.writeMigration('tenant', PROJECTS);
    expect((await migrate(opts())).ok).toBe(true);
    for (const name of tenantDbs) {
      expect(await query(name, 'SELECT schema, version_table, head, applied FROM public.fleet_index')).toEqual([
        { schema: 'public', version_table: 'fleet_migrations', head: 'CreateProjects2000', applied: 2 },
      ]);
    }
    // The home database's own row (its global track) is in its own index.
    expect(await query(fx.db, 'SELECT schema, head FROM public.fleet_index')).toEqual([{ schema: 'public', head: 'CreateTenants1000' }]);
    const st = await status(opts());
    expect(st.summary).toMatchObject({ targets: 3, 'at-head': 3 });
    expect(st.index).toMatchObject({ databases: 3, fromIndex: 3, readFromTables: 0 });

    await withAdmin((c) => c.query(`DELETE FROM fleet_migrations WHERE name = 'CreateProjects2000'`), tenantDbs[1]);
    const v = await verify(opts());
    expect(v.index).toMatchObject({ databases: 3, repaired: { added: 0, corrected: 1, removed: 0 }, stamped: true });
    expect(v.index.repairs).toEqual([expect.objectContaining({ target: 'fx/main/globex', change: 'corrected', now: expect.objectContaining({ head: 'CreateUsers1000' }) })]);
    expect((await status(opts())).targets.find((t) => t.tenant === 'globex')).toMatchObject({ state: 'pending', pending: ['CreateProjects2000'] });
  });

  it('shards: each shard database holds its own index', async () => {
    const shardBase = uniqueName('fleet_t_ixsh');
    const shards = [0, 1].map((i) => `${shardBase}_shard_${i}`);
    extra.push(...shards);
    fx.project.writeConfig({ app: 'fx', databases: { events: { migrations: './events', createDatabase: true, shards: 2 } } });
    fx.project.writeMigration('events', USERS);
    const env = { FX_EVENTS_DATABASE_URL: databaseUrl(shardBase) };
    expect((await migrate({ ...opts(), env })).ok).toBe(true);
    for (const name of shards) expect(await query(name, 'SELECT head FROM public.fleet_index')).toEqual([{ head: 'CreateUsers1000' }]);
    expect((await status({ ...opts(), env })).index).toMatchObject({ databases: 2, fromIndex: 2, readFromTables: 0 });
  });
});
