/**
 * Compatibility suite: migrations written the way real TypeORM projects write them (the Table
 * API, `migration:generate` output with "public"-qualified names, enums, uuid defaults, an
 * ordinary CREATE EXTENSION) run unchanged on a plain database, 20 tenant schemas (while public
 * holds same-named tables, to catch lookups in the wrong schema) and 10 tenant databases; then
 * revert to base and migrate again; and each strategy first migrated by TypeORM's own
 * DataSource.runMigrations(), then adopted by Fleet with nothing re-run. After each step the
 * catalogs are read: every object in its tenant's schema, public untouched, status/verify/drift agree.
 */
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { drift } from '../src/commands/drift';
import { lint } from '../src/commands/lint';
import { migrate, revert } from '../src/commands/run-commands';
import { status } from '../src/commands/status';
import { verify } from '../src/commands/verify';
import { dropTenant } from '../src/commands/tenants';
import { FixtureProject, MigrationSpec, WORKSPACE_ROOT, databaseUrl, dropDatabase, query, testServer, uniqueName, withAdmin } from '../src/testing';

jest.setTimeout(240_000);

const COMPAT = join(__dirname, 'compat');
type TrackName = 'table-api' | 'generated' | 'uuid';
/** Tables each track creates: the global track puts same-named traps into public. */
const TRACK_TABLES: Record<TrackName, string[]> = {
  'table-api': ['apps', 'builds', 'app_labels'],
  generated: ['customers', 'orders', 'refunds'],
  uuid: ['api_keys'],
};
/** What each track needs that no migration of it creates (a real project lists it in the config). */
const TRACK_EXTENSIONS: Record<TrackName, string[]> = { 'table-api': [], generated: ['uuid-ossp'], uuid: ['uuid-ossp'] };
const SEED_COUNT: Record<TrackName, string | null> = { 'table-api': `SELECT count(*)::int AS n FROM apps WHERE name = 'seeded'`, generated: null, uuid: null };

const ids = (n: number) => Array.from({ length: n }, (_, i) => `c${String(i + 1).padStart(2, '0')}`);

/** The objects of one schema, as text, with the schema's own name blanked out (so tenants compare with a plain database). */
async function shapeOf(database: string, schema: string): Promise<string[]> {
  const rows = await query<{ line: string }>(
    database,
    `SELECT 'rel ' || c.relkind::text || ' ' || c.relname AS line FROM pg_class c WHERE c.relnamespace = $1::regnamespace
       AND c.relname NOT IN ('fleet_migrations', 'fleet_migrations_pkey', 'fleet_tenants', 'fleet_tenants_pkey', 'fleet_index', 'fleet_index_pkey', 'fleet_index_meta', 'fleet_index_meta_pkey', 'migrations', 'PK_8c82d7f526340ab734260ea46be', 'migrations_id_seq', 'typeorm_metadata')
     UNION ALL
     SELECT 'type ' || t.typname FROM pg_type t WHERE t.typnamespace = $1::regnamespace AND t.typtype = 'e'
     UNION ALL
     SELECT 'column ' || table_name || '.' || column_name || ' ' || CASE WHEN udt_schema = $2 THEN '<self>' ELSE udt_schema END || '.' || udt_name
            || ' default ' || coalesce(replace(replace(replace(column_default, '"' || $2 || '".', ''), $2 || '.', ''), 'extensions.', ''), '-')
       FROM information_schema.columns WHERE table_schema = $2 AND table_name NOT IN ('fleet_migrations', 'fleet_tenants', 'fleet_index', 'fleet_index_meta', 'migrations', 'typeorm_metadata')
     UNION ALL
     SELECT 'constraint ' || con.conname || ' ' || con.contype::text || ' on ' || rel.relname
            || coalesce(' refs ' || CASE WHEN ref.relnamespace = $1::regnamespace THEN '<self>' ELSE ref.relnamespace::regnamespace::text END || '.' || ref.relname, '')
       FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid LEFT JOIN pg_class ref ON ref.oid = con.confrelid
      WHERE con.connamespace = $1::regnamespace AND rel.relname NOT IN ('fleet_migrations', 'fleet_tenants', 'fleet_index', 'fleet_index_meta', 'migrations')`,
    [schema, schema],
  );
  return rows.map((r) => r.line).sort();
}

describe.each<TrackName>(['table-api', 'generated', 'uuid'])('compatibility: the %s track', (track) => {
  let project: FixtureProject;
  let databases: string[];
  let reference: string[] = [];
  /** What a plain database keeps after `revert --to base` (TypeORM's dropTable leaves an enum type behind). */
  let reverted: string[] = [];
  /** The track's directory: a copy (the lint may rewrite the generated track's files). */
  let trackDir: string;

  beforeEach(() => {
    project = new FixtureProject(`compat-${track}`);
    databases = [];
    trackDir = project.path('tenant');
    cpSync(join(COMPAT, track), trackDir, { recursive: true });
  });
  afterEach(async () => {
    project.remove();
    for (const name of databases) await dropDatabase(name);
  });

  const newDatabase = () => {
    const name = uniqueName('fleet_t_compat');
    databases.push(name);
    return name;
  };
  const opts = (db: string, extra: Record<string, unknown> = {}) => ({
    config: project.path('fleet.config.ts'),
    workspaceRoot: WORKSPACE_ROOT,
    env: { CX_MAIN_URL: databaseUrl(db) },
    ...extra,
  });
  /** Same-named tables in the home database's public schema: a lookup in the wrong schema finds these. */
  const traps: MigrationSpec = {
    name: 'Traps1000',
    up: TRACK_TABLES[track].map((t) => `CREATE TABLE "${t}" (id int, name text, note text)`),
    down: TRACK_TABLES[track].map((t) => `DROP TABLE "${t}"`),
  };
  const publicRelations = () => TRACK_TABLES[track].map((t) => `rel r ${t}`).sort();

  function writeConfig(tenants: Record<string, unknown> | null) {
    project.writeMigration('global', traps);
    project.writeConfig({
      app: 'cx',
      databases: {
        main: {
          migrations: tenants ? './global' : './tenant',
          createDatabase: true,
          urlEnv: 'CX_MAIN_URL',
          extensions: TRACK_EXTENSIONS[track],
          ...(tenants ? { tenants: { migrations: './tenant', ...tenants } } : {}),
        },
      },
    });
  }

  async function expectConsistent(db: string, targets: number) {
    const st = await status(opts(db));
    expect(st.targets).toHaveLength(targets);
    expect(st.targets.filter((t) => t.state !== 'at-head').map((t) => `${t.target}: ${t.state}`)).toEqual([]);
    expect((await verify(opts(db))).ok).toBe(true);
    const dr = await drift(opts(db));
    expect(dr.targets.filter((t) => t.state === 'drift' || t.state === 'error').map((t) => [t.target, t.changes.map((c) => c.message), t.error])).toEqual([]);
  }

  it('runs unchanged on a plain database, reverts to base and migrates again', async () => {
    const db = newDatabase();
    writeConfig(null);
    const first = await migrate(opts(db));
    expect(first.results.map((r) => [r.target, r.outcome, r.failed?.error.message ?? null])).toEqual([['cx/main', 'changed', null]]);
    reference = await shapeOf(db, 'public');
    expect(reference.length).toBeGreaterThan(5);
    await expectConsistent(db, 1);
    const back = await revert(opts(db, { to: 'base' }));
    expect(back.results.map((r) => [r.outcome, r.failed?.error.message ?? null])).toEqual([['changed', null]]);
    reverted = await shapeOf(db, 'public');
    expect(reverted.filter((l) => !l.startsWith('type '))).toEqual([]);
    expect((await migrate(opts(db))).ok).toBe(true);
    expect(await shapeOf(db, 'public')).toEqual(reference);
  });

  it('runs in 20 tenant schemas, every object in its own schema, public untouched; revert to base and again', async () => {
    const db = newDatabase();
    writeConfig({ strategy: 'schema', discover: { list: ids(20) } });
    if (track === 'generated') {
      // As generated, the files name "public": migrate refuses every tenant before touching one.
      const refused = await migrate(opts(db));
      expect(refused.ok).toBe(false);
      const tenants = refused.results.filter((r) => r.tenant);
      expect(tenants.every((r) => r.outcome === 'blocked' && r.findings.some((f) => f.kind === 'lint-refused'))).toBe(true);
      expect(tenants[0].findings[0].message).toMatch(/names schema "public" explicitly/);
      expect((await query(db, `SELECT 1 FROM pg_namespace WHERE nspname LIKE 'tenant_%'`)).length).toBe(0);
      const fixed = await lint(opts(db, { fix: true }));
      expect(fixed.ok).toBe(true);
      expect(fixed.fixed.map((f) => f.file).sort()).toEqual(
        readdirSync(trackDir)
          .map((f) => resolve(trackDir, f))
          .sort(),
      );
      expect(readdirSync(trackDir).some((f) => readFileSync(join(trackDir, f), 'utf8').includes('"public".'))).toBe(false);
      jest.resetModules(); // the rewritten files are new modules for the next load
    }
    const report = await migrate(opts(db, { concurrency: 4 }));
    expect(
      report.results
        .filter((r) => r.outcome !== 'changed' && !(r.outcome === 'unchanged' && r.tenant === null))
        .map((r) => [r.target, r.outcome, r.failed?.error.message, r.findings]),
    ).toEqual([]);
    for (const id of ids(20)) expect(await shapeOf(db, `tenant_${id}`)).toEqual(reference);
    expect((await shapeOf(db, 'public')).filter((l) => l.startsWith('rel ') || l.startsWith('type '))).toEqual(publicRelations());
    const extensionHome = await query<{ extname: string; nspname: string }>(
      db,
      `SELECT extname, extnamespace::regnamespace::text AS nspname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1`,
    );
    expect(extensionHome.every((e) => e.nspname === 'extensions')).toBe(true);
    if (SEED_COUNT[track]) for (const id of ids(20)) expect((await query<{ n: number }>(db, SEED_COUNT[track]!.replace('FROM apps', `FROM tenant_${id}.apps`)))[0].n).toBe(1);
    await expectConsistent(db, 21);

    const back = await revert(opts(db, { to: 'base', tenants: ids(20) }));
    expect(back.results.filter((r) => r.outcome !== 'changed').map((r) => [r.target, r.failed?.error.message])).toEqual([]);
    for (const id of ids(20)) expect(await shapeOf(db, `tenant_${id}`)).toEqual(reverted);
    expect((await migrate(opts(db))).ok).toBe(true);
    for (const id of ['c01', 'c20']) expect(await shapeOf(db, `tenant_${id}`)).toEqual(reference);
  });

  it('runs in 10 tenant databases, each with its own objects and extensions; revert to base and again', async () => {
    const db = newDatabase();
    const tenantDbs = ids(10).map((id) => `${db}_${id}`);
    databases.push(...tenantDbs);
    writeConfig({ strategy: 'database', discover: { list: ids(10) }, databaseTemplate: `${db}_{id}`, createDatabase: true });
    if (track === 'generated') {
      await lint(opts(db, { fix: true }));
      jest.resetModules();
    }
    const report = await migrate(opts(db, { concurrency: 3 }));
    expect(report.results.filter((r) => r.outcome !== 'changed').map((r) => [r.target, r.outcome, r.failed?.error.message, r.findings])).toEqual([]);
    for (const tdb of tenantDbs) expect(await shapeOf(tdb, 'public')).toEqual(reference);
    expect((await shapeOf(db, 'public')).filter((l) => l.startsWith('rel '))).toEqual(publicRelations());
    await expectConsistent(db, 11);
    expect((await revert(opts(db, { to: 'base', tenants: ids(10) }))).ok).toBe(true);
    for (const tdb of tenantDbs) expect(await shapeOf(tdb, 'public')).toEqual(reverted);
    expect((await migrate(opts(db))).ok).toBe(true);
    expect(await shapeOf(tenantDbs[9], 'public')).toEqual(reference);
  });

  it.each(['plain', 'schema', 'database'] as const)('adopts what TypeORM migrated (%s), re-running nothing', async (strategy) => {
    const db = newDatabase();
    const tenantIds = strategy === 'plain' ? [] : ids(3);
    const tenantDbs = strategy === 'database' ? tenantIds.map((id) => `${db}_${id}`) : [];
    databases.push(...tenantDbs);
    if (track === 'generated' && strategy !== 'plain') {
      writeConfig({ strategy, discover: { list: [] } });
      await lint(opts(db, { fix: true }));
      jest.resetModules();
    }
    writeConfig(
      strategy === 'plain'
        ? null
        : strategy === 'schema'
          ? { strategy, discover: { list: tenantIds } }
          : { strategy, discover: { list: tenantIds }, databaseTemplate: `${db}_{id}`, createDatabase: true },
    );
    // The home database as TypeORM's users have it, then TypeORM's own runner on every target.
    await withAdmin((c) => c.query(`CREATE DATABASE "${db}"`));
    for (const tdb of tenantDbs) await withAdmin((c) => c.query(`CREATE DATABASE "${tdb}"`));
    const migrationClasses = readdirSync(trackDir).map((f) => Object.values(require(join(trackDir, f)))[0] as new () => unknown);
    const typeormTargets =
      strategy === 'plain'
        ? [{ database: db, schema: 'public' }]
        : strategy === 'schema'
          ? tenantIds.map((id) => ({ database: db, schema: `tenant_${id}` }))
          : tenantDbs.map((d) => ({ database: d, schema: 'public' }));
    for (const t of typeormTargets) {
      // Where such a project keeps its extensions: public for one schema per database, a shared
      // schema on every search_path for schema-per-tenant (else tenant 2 would not see tenant 1's).
      const extensionSchema = strategy === 'schema' ? 'extensions' : 'public';
      await withAdmin(async (c) => {
        await c.query(`CREATE SCHEMA IF NOT EXISTS "${t.schema}"`);
        await c.query(`CREATE SCHEMA IF NOT EXISTS "${extensionSchema}"`);
        for (const e of [...TRACK_EXTENSIONS[track], ...(track === 'uuid' ? ['pgcrypto'] : [])]) await c.query(`CREATE EXTENSION IF NOT EXISTS "${e}" SCHEMA "${extensionSchema}"`);
      }, t.database);
      const ds = new DataSource({
        type: 'postgres',
        ...testServer(),
        username: testServer().user,
        database: t.database,
        schema: t.schema,
        migrations: migrationClasses,
        installExtensions: false,
        extra: { options: `-c search_path=${t.schema},${extensionSchema}` },
      });
      await ds.initialize();
      try {
        await ds.runMigrations({ transaction: 'each' });
      } finally {
        await ds.destroy();
      }
    }
    const report = await migrate(opts(db));
    expect(report.results.filter((r) => r.outcome === 'failed' || r.outcome === 'blocked').map((r) => [r.target, r.failed?.error.message, r.findings])).toEqual([]);
    const adopted = report.results.filter((r) => r.tenant !== null || strategy === 'plain');
    expect(adopted).toHaveLength(typeormTargets.length);
    for (const r of adopted) expect(r.applied).toEqual([]); // nothing re-ran
    for (const t of typeormTargets) {
      const methods = await query<{ method: string; n: number }>(t.database, `SELECT method, count(*)::int AS n FROM "${t.schema}".fleet_migrations GROUP BY 1`);
      expect(methods).toEqual([{ method: 'adopt', n: migrationClasses.length }]);
      if (SEED_COUNT[track]) expect((await query<{ n: number }>(t.database, SEED_COUNT[track]!.replace('FROM apps', `FROM "${t.schema}".apps`)))[0].n).toBe(1);
    }
    await expectConsistent(db, strategy === 'plain' ? 1 : tenantIds.length + 1);
  });
});

describe('compatibility: extensions', () => {
  let project: FixtureProject;
  let databases: string[];
  beforeEach(() => {
    project = new FixtureProject('compat-ext');
    databases = [];
  });
  afterEach(async () => {
    project.remove();
    for (const name of databases) await dropDatabase(name);
  });

  it("installs what the entities imply (TypeORM's rule) on a fresh database, as typeorm migration:run would", async () => {
    const db = uniqueName('fleet_t_compat_ext');
    databases.push(db);
    project.writeFile(
      'data-source.ts',
      `import { DataSource, Entity, PrimaryGeneratedColumn, Column } from 'typeorm';
@Entity('widgets')
export class Widget {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'citext' }) name!: string;
}
export default new DataSource({ type: 'postgres', entities: [Widget] });
`,
    );
    project.writeMigration('migrations', {
      name: 'CreateWidgets1000',
      up: [`CREATE TABLE "widgets" ("id" uuid NOT NULL DEFAULT uuid_generate_v4() PRIMARY KEY, "name" citext NOT NULL)`],
      down: ['DROP TABLE "widgets"'],
    });
    project.writeConfig({ app: 'cx', databases: { main: { migrations: './migrations', dataSource: './data-source.ts', createDatabase: true, urlEnv: 'CX_MAIN_URL' } } });
    const report = await migrate({ config: project.path('fleet.config.ts'), workspaceRoot: WORKSPACE_ROOT, env: { CX_MAIN_URL: databaseUrl(db) } });
    expect(report.results.map((r) => [r.outcome, r.failed?.error.message ?? null])).toEqual([['changed', null]]);
    expect(await query(db, `SELECT extname, extnamespace::regnamespace::text AS schema FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1`)).toEqual([
      { extname: 'citext', schema: 'public' },
      { extname: 'uuid-ossp', schema: 'public' },
    ]);
  });

  it('refuses to drop a tenant whose schema holds an extension or an object others depend on, and says why', async () => {
    const db = uniqueName('fleet_t_compat_drop');
    databases.push(db);
    project.writeMigration('global', { name: 'CreateTenants1000', up: ['CREATE TABLE tenants (id text PRIMARY KEY)'], down: ['DROP TABLE tenants'] });
    project.writeMigration('tenant', { name: 'CreateApps1000', up: ['CREATE TABLE apps (id int PRIMARY KEY)'], down: ['DROP TABLE apps'] });
    project.writeConfig({
      app: 'cx',
      databases: {
        main: {
          migrations: './global',
          createDatabase: true,
          urlEnv: 'CX_MAIN_URL',
          tenants: { strategy: 'schema', migrations: './tenant', discover: { sql: 'SELECT id FROM tenants' }, registry: { table: 'tenants' } },
        },
      },
    });
    const opts = { config: project.path('fleet.config.ts'), workspaceRoot: WORKSPACE_ROOT, env: { CX_MAIN_URL: databaseUrl(db) } };
    await migrate(opts);
    await withAdmin((c) => c.query(`INSERT INTO tenants VALUES ('a'), ('b')`), db);
    await migrate(opts);
    await withAdmin(async (c) => {
      await c.query('CREATE EXTENSION hstore SCHEMA tenant_a'); // what a racing tenant-track CREATE EXTENSION used to do
      await c.query('CREATE VIEW public.all_apps AS SELECT id FROM tenant_b.apps');
    }, db);
    await expect(dropTenant({ ...opts, id: 'a', confirm: true })).rejects.toThrow(/Refusing to drop schema tenant_a: extension hstore is installed in it/);
    await expect(dropTenant({ ...opts, id: 'b', confirm: true })).rejects.toThrow(/view all_apps .*depends on table tenant_b.apps/);
    expect((await query(db, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant_%' ORDER BY 1`)).map((r) => r.nspname)).toEqual(['tenant_a', 'tenant_b']);
    expect((await query(db, 'SELECT id FROM tenants ORDER BY 1')).map((r) => r.id)).toEqual(['a', 'b']);
    await withAdmin((c) => c.query('DROP VIEW public.all_apps'), db);
    await expect(dropTenant({ ...opts, id: 'b', confirm: true })).resolves.toMatchObject({ dropped: 'schema tenant_b' });
  });
});
