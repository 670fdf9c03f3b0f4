/**
 * The tenant pool (tenants.pool, tenancy/spare-pool.ts) on the real server: spares made and kept at
 * head by migrate, taken by createTenant (one rename, in one transaction with the registry row),
 * refilled, raced, discarded when they fail, and a tenant from the pool that is exactly what the
 * full track makes.
 */
import { createTenant, dropTenant } from '../src/commands/tenants';
import { migrate } from '../src/commands/run-commands';
import { status } from '../src/commands/status';
import { verify } from '../src/commands/verify';
import { spareLines } from '../src/reporters/spare-lines';
import { MigrationSpec, query, runFleet, tenantFleetConfig, useFixture } from '../src/testing';
import { PRO_ONLY, PROJECTS, REGISTRY, USERS } from './pool-tracks';

/** Everything a schema holds, in words that do not name the schema (to compare two tenants). */
async function shape(db: string, schema: string): Promise<string[]> {
  const rows = await query<{ line: string }>(
    db,
    `SELECT c.relkind::text || ' ' || c.relname || coalesce(' ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
              || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), ''), '') AS line
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
      WHERE n.nspname = $1
     UNION ALL SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)
     UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = $1
     UNION ALL SELECT 'type ' || typname FROM pg_type WHERE typnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1) AND typtype = 'e'`,
    [schema],
  );
  return rows.map((r) => r.line.split(schema).join('<schema>')).sort();
}

/** The version rows as the planner sees them (applied_at, applied_by and durations differ per run). */
const versionRows = (db: string, schema: string) => query(db, `SELECT name, status, method, checksum, reason FROM "${schema}".fleet_migrations ORDER BY seq`);
const spareNames = async (db: string) => (await query<{ name: string }>(db, 'SELECT name FROM fleet_spares WHERE ready ORDER BY name')).map((r) => r.name);
const spareSchemas = async (db: string) =>
  (await query<{ nspname: string }>(db, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'fleet\\_spare$%' ORDER BY 1`)).map((r) => r.nspname);

// Each case opens a dozen runtimes and runs the tenant track on several spares: on a loaded 2-core machine that passes 30 s.
jest.setTimeout(120_000);

describe('tenant pool', () => {
  const fx = useFixture('tenant_pool');
  const opts = () => fx.options();

  function setup(size: number, tenantTrack: MigrationSpec[] = [USERS, PROJECTS]) {
    fx.project.writeConfig(tenantFleetConfig({}, { discover: { sql: 'SELECT id, plan FROM tenants ORDER BY id' }, pool: { size } }));
    fx.project.writeMigration('global', REGISTRY);
    for (const m of tenantTrack) fx.project.writeMigration('tenant', m);
  }

  it('migrate fills the pool; a take renames a spare into a tenant that is exactly a full-track one; the pool refills; status and verify show spares apart', async () => {
    setup(3);
    const run = await migrate(opts());
    expect(run.ok).toBe(true);
    expect((run as { pools?: unknown }).pools).toEqual([expect.objectContaining({ database: 'main', size: 3, ready: 3, created: expect.any(Array) })]);
    const spares = await spareNames(fx.db);
    expect(spares).toHaveLength(3);
    expect(await spareSchemas(fx.db)).toEqual(spares);

    const fromPool = await createTenant({ ...opts(), id: 'acme', refill: 'none' });
    expect(fromPool).toMatchObject({ tenant: 'acme', location: 'tenant_acme', registered: true, path: 'pool', applied: ['CreateUsers1000', 'CreateProjects2000'] });
    expect(spares).toContain(fromPool.spare);
    expect(await spareSchemas(fx.db)).toEqual(spares.filter((s) => s !== fromPool.spare));
    expect(await query(fx.db, 'SELECT id, plan FROM tenants')).toEqual([{ id: 'acme', plan: 'free' }]);
    expect(await query(fx.db, 'SELECT id, location FROM fleet_tenants')).toEqual([{ id: 'acme', location: 'tenant_acme' }]);

    // The same tenant through the full track, for comparison (no spare left to take: the pool is emptied first).
    await query(fx.db, 'UPDATE fleet_spares SET ready = false');
    const full = await createTenant({ ...opts(), id: 'globex' });
    expect(full).toMatchObject({ path: 'full-track', poolFallback: expect.stringContaining('empty') });
    expect(await shape(fx.db, 'tenant_acme')).toEqual(await shape(fx.db, 'tenant_globex'));
    expect((await shape(fx.db, 'tenant_acme')).length).toBeGreaterThan(10);
    expect(await versionRows(fx.db, 'tenant_acme')).toEqual(await versionRows(fx.db, 'tenant_globex'));
    await query(fx.db, 'UPDATE fleet_spares SET ready = true');

    // Status: the tenants are targets; the spares are apart (kind spare), not counted in the summary.
    const st = await status(opts());
    expect(st.summary).toMatchObject({ targets: 3, 'at-head': 3 });
    expect(st.spares).toHaveLength(2);
    expect(st.spares!.every((s) => s.kind === 'spare' && s.ready && s.state === 'at-head' && s.tenant !== 'acme')).toBe(true);
    expect(spareLines(st)).toEqual(['SPARES   fx/main (tenant pool): 2 spare(s), 2 ready at head']);
    // The fleet index followed the rename (its row moved in the take's transaction): verify repairs nothing.
    expect(await verify(opts())).toMatchObject({ ok: true, spares: { total: 2, atHead: 2 }, index: { repaired: { added: 0, corrected: 0, removed: 0 } } });
    expect((await status(opts())).index).toMatchObject({ readFromTables: 0 });

    // A refill (background by default) brings the pool back to its size: the two spares taken are replaced.
    const next = await createTenant({ ...opts(), id: 'initech' });
    expect(next.path).toBe('pool');
    expect(await next.refill).toMatchObject({ size: 3, ready: 3, created: [expect.stringMatching(/^fleet_spare\$/), expect.stringMatching(/^fleet_spare\$/)] });
    expect(await spareNames(fx.db)).toHaveLength(3);

    // Drop after a pool create: schema, registry row and ledger row go.
    expect(await dropTenant({ ...opts(), id: 'acme', confirm: true })).toEqual({ tenant: 'acme', dropped: 'schema tenant_acme' });
    expect(await query(fx.db, `SELECT 1 FROM pg_namespace WHERE nspname = 'tenant_acme'`)).toHaveLength(0);
    expect(await query(fx.db, `SELECT id FROM tenants ORDER BY id`)).toEqual([{ id: 'globex' }, { id: 'initech' }]);
  });

  it('20 concurrent creates with a pool of 5: five get distinct spares, the rest take the full track, all end at head', async () => {
    setup(5);
    await migrate(opts());
    const ids = Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    const results = await Promise.all(ids.map((id) => createTenant({ ...opts(), id, refill: 'none' })));
    const pooled = results.filter((r) => r.path === 'pool');
    expect(pooled).toHaveLength(5);
    expect(new Set(pooled.map((r) => r.spare)).size).toBe(5);
    expect(results.filter((r) => r.path === 'full-track')).toHaveLength(15);
    expect(await spareSchemas(fx.db)).toEqual([]);
    const st = await status(opts());
    expect(st.summary).toMatchObject({ targets: 21, 'at-head': 21 });
    expect(await query(fx.db, 'SELECT count(*)::int AS n FROM tenants')).toEqual([{ n: 20 }]);
    // migrate refills.
    await migrate(opts());
    expect(await spareNames(fx.db)).toHaveLength(5);
  }, 120_000);

  it('an id that exists stays idempotent and keeps the pool; a deploy adding migrations while spares wait: take falls back, migrate brings the spares to head', async () => {
    setup(2);
    await migrate(opts());
    const first = await createTenant({ ...opts(), id: 'acme', refill: 'none' });
    expect(first.path).toBe('pool');
    const again = await createTenant({ ...opts(), id: 'acme', refill: 'none' });
    expect(again).toMatchObject({ registered: false, path: 'full-track', applied: [], poolFallback: 'schema tenant_acme exists already' });
    expect(await spareNames(fx.db)).toHaveLength(1);

    fx.project.writeMigration('tenant', { name: 'AddNickname3000', up: ['ALTER TABLE users ADD COLUMN nickname text'] });
    const behind = await createTenant({ ...opts(), id: 'globex', refill: 'none' });
    expect(behind).toMatchObject({ path: 'full-track', poolFallback: expect.stringContaining('behind the code') });
    const before = await status(opts());
    expect(before.spares).toEqual([expect.objectContaining({ state: 'pending', pending: ['AddNickname3000'] })]);
    expect(await verify(opts())).toMatchObject({ ok: false, stragglers: expect.arrayContaining([expect.objectContaining({ kind: 'spare', state: 'pending' })]) });

    const run = await migrate(opts());
    expect((run as { pools?: Array<{ migrated: string[] }> }).pools?.[0].migrated).toHaveLength(1);
    expect(await spareNames(fx.db)).toHaveLength(2);
    const after = await createTenant({ ...opts(), id: 'initech', refill: 'none' });
    expect(after).toMatchObject({ path: 'pool', applied: ['CreateUsers1000', 'CreateProjects2000', 'AddNickname3000'] });
    expect(await shape(fx.db, 'tenant_initech')).toEqual(await shape(fx.db, 'tenant_globex'));
    expect(await verify(opts())).toMatchObject({ ok: true });
  });

  it('conditional migrations: a take only when the tenant decides each one as the spares did; migrations deployed after a take apply by its attributes', async () => {
    setup(2, [USERS]);
    await migrate(opts());
    const pro = await createTenant({ ...opts(), id: 'acme', attributes: { plan: 'pro' }, refill: 'none' });
    expect(pro.path).toBe('pool');
    expect(await query(fx.db, 'SELECT plan FROM tenants')).toEqual([{ plan: 'pro' }]);

    // A deploy adds a pro-only migration: migrate applies it to the pro tenant made from the pool; the spares (no attributes) skip it.
    fx.project.writeMigration('tenant', { name: 'ProOnly2000', up: ['CREATE TABLE reports (id int)'], members: PRO_ONLY });
    await migrate(opts());
    expect(await versionRows(fx.db, 'tenant_acme')).toEqual([
      expect.objectContaining({ name: 'CreateUsers1000', status: 'applied' }),
      expect.objectContaining({ name: 'ProOnly2000', status: 'applied' }),
    ]);
    const [spare] = await spareNames(fx.db);
    expect(await versionRows(fx.db, spare)).toEqual([
      expect.objectContaining({ status: 'applied' }),
      expect.objectContaining({ name: 'ProOnly2000', status: 'skipped', reason: 'plan is null, pro only' }),
    ]);

    // A pro tenant now decides ProOnly2000 otherwise than the spares: the full track, and the spare stays.
    const pro2 = await createTenant({ ...opts(), id: 'globex', attributes: { plan: 'pro' }, refill: 'none' });
    expect(pro2).toMatchObject({
      path: 'full-track',
      poolFallback: 'ProOnly2000 applies to this tenant but was skipped by the spares',
      applied: ['CreateUsers1000', 'ProOnly2000'],
    });
    expect(await spareNames(fx.db)).toHaveLength(2);
    // A free tenant takes a spare; its skipped row says why in its own words, as the full track writes it.
    const free = await createTenant({ ...opts(), id: 'initech', attributes: { plan: 'free' }, refill: 'none' });
    expect(free.path).toBe('pool');
    await query(fx.db, 'UPDATE fleet_spares SET ready = false');
    await createTenant({ ...opts(), id: 'hooli', attributes: { plan: 'free' }, refill: 'none' });
    expect(await versionRows(fx.db, 'tenant_initech')).toEqual(await versionRows(fx.db, 'tenant_hooli'));
    expect((await versionRows(fx.db, 'tenant_initech'))[1]).toMatchObject({ status: 'skipped', reason: 'plan is free, pro only' });
    expect(await shape(fx.db, 'tenant_initech')).toEqual(await shape(fx.db, 'tenant_hooli'));
    expect(await shape(fx.db, 'tenant_acme')).toEqual(await shape(fx.db, 'tenant_globex'));
  });

  it('a spare that fails a migration is dropped and replaced; a spare never holds tenant data', async () => {
    setup(2, [USERS]);
    await migrate(opts());
    const [broken, healthy] = await spareNames(fx.db);
    // This spare was tampered with: the next migration fails there (and only there).
    await query(fx.db, `CREATE TABLE "${broken}".audit (x int)`);
    fx.project.writeMigration('tenant', { name: 'CreateAudit2000', up: ['CREATE TABLE audit (id int)'] });
    const run = (await migrate(opts())) as Awaited<ReturnType<typeof migrate>> & {
      pools?: Array<{ discarded: Array<{ spare: string; reason: string }>; created: string[]; ready: number }>;
    };
    expect(run.ok).toBe(true);
    expect(run.pools?.[0]).toMatchObject({ ready: 2, discarded: [{ spare: broken, reason: expect.stringContaining('CreateAudit2000 failed') }], created: [expect.any(String)] });
    const now = await spareNames(fx.db);
    expect(now).toContain(healthy);
    expect(now).not.toContain(broken);
    expect(await spareSchemas(fx.db)).toEqual(now);
    expect(await verify(opts())).toMatchObject({ ok: true, spares: { total: 2, atHead: 2 }, index: { repaired: { added: 0, corrected: 0, removed: 0 } } });
  });

  it('from the CLI: tenant create says which path it took, --json too', async () => {
    setup(1, [USERS]);
    await migrate(opts());
    const config = fx.project.path('fleet.config.ts');
    const text = await runFleet(['tenant', 'create', 'acme', '--config', config], fx.env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/tenant acme: created in tenant_acme \(fx\/main\/acme\) from the pool \(spare fleet_spare\$[0-9a-f]{12} renamed/);
    expect(text.stdout).toContain('pool: 1 of 1 spare(s) ready (1 made)');
    await query(fx.db, 'UPDATE fleet_spares SET ready = false');
    const json = await runFleet(['tenant', 'create', 'globex', '--config', config, '--json'], fx.env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ command: 'tenant-create', ok: true, tenant: 'globex', path: 'full-track', poolFallback: expect.any(String) });
    const st = await runFleet(['status', '--config', config, '--json'], fx.env);
    expect(JSON.parse(st.stdout).spares).toEqual([expect.objectContaining({ kind: 'spare', ready: false })]);
  }, 120_000);
});
