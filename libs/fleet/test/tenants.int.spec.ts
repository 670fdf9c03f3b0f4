/**
 * The fan-out on the real server: schema-per-tenant, DB-per-tenant and shards; partial failure
 * and convergence; conditional migrations; the connection budget; concurrent runners.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { migrate } from '../src/commands/run-commands';
import { status } from '../src/commands/status';
import { verify } from '../src/commands/verify';
import { history } from '../src/commands/history';
import type { FleetEvent } from '../src/events';
import {
  FixtureProject,
  MigrationSpec,
  tenantFleetConfig,
  WORKSPACE_ROOT,
  LINT_ALLOW,
  runFleet,
  databaseUrl,
  dropDatabase,
  query,
  samplePeakConnections,
  uniqueName,
  withAdmin,
} from '../src/testing';

const REGISTRY: MigrationSpec = { name: 'CreateTenants1000', up: [`CREATE TABLE tenants (id text PRIMARY KEY, plan text NOT NULL DEFAULT 'free')`], down: ['DROP TABLE tenants'] };
const T_USERS: MigrationSpec = { name: 'CreateUsers1000', up: ['CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL)'], down: ['DROP TABLE users'] };
const T_PROJECTS: MigrationSpec = {
  name: 'CreateProjects2000',
  up: ['CREATE TABLE projects (id serial PRIMARY KEY, owner_id int REFERENCES users(id))'],
  down: ['DROP TABLE projects'],
};

const ids = (n: number) => Array.from({ length: n }, (_, i) => `t${String(i + 1).padStart(3, '0')}`);

describe('tenant fleets on PostgreSQL', () => {
  let project: FixtureProject;
  let databases: string[];
  let env: NodeJS.ProcessEnv;
  let db: string;

  beforeEach(() => {
    project = new FixtureProject('tenants');
    databases = [];
  });
  afterEach(async () => {
    project.remove();
    for (const name of databases) await dropDatabase(name);
  });

  /** A database `main` with a tenants registry (global track) and a tenant track. */
  function setupSchemaFleet(options: Record<string, unknown> = {}, tenantOptions: Record<string, unknown> = {}) {
    db = uniqueName('fleet_t_fleet');
    databases.push(db);
    env = { FX_MAIN_URL: databaseUrl(db) };
    project.writeConfig(
      tenantFleetConfig({ lockWaitMs: 20_000, ...options }, { discover: { sql: 'SELECT id, plan FROM public.tenants ORDER BY id' }, registry: undefined, ...tenantOptions }),
    );
    project.writeMigration('global', REGISTRY);
    project.writeMigration('tenant', T_USERS);
  }

  const opts = (extra: Record<string, unknown> = {}) => ({ config: project.path('fleet.config.ts'), workspaceRoot: WORKSPACE_ROOT, env, ...extra });
  const addTenants = async (list: string[], plan = 'free') => {
    await withAdmin((c) => c.query(`INSERT INTO tenants (id, plan) SELECT unnest($1::text[]), $2`, [list, plan]), db);
  };
  const schemaTables = async (schema: string) =>
    (await query<{ t: string }>(db, 'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', [schema])).map((r) => r.t);

  it('runs the global track, then every tenant schema with its own version table, nothing leaking between them', async () => {
    setupSchemaFleet();
    await migrate(opts()); // creates the registry
    await addTenants(ids(20));
    project.writeMigration('tenant', T_PROJECTS);
    const report = await migrate(opts({ concurrency: 3 }));
    expect(report.ok).toBe(true);
    expect(report.results).toHaveLength(21);
    expect(report.results[0]).toMatchObject({ target: 'fx/main', outcome: 'unchanged', tenant: null });
    expect(report.results[1]).toMatchObject({ target: 'fx/main/t001', tenant: 't001', schema: 'tenant_t001', applied: ['CreateUsers1000', 'CreateProjects2000'] });
    for (const id of ids(20)) expect(await schemaTables(`tenant_${id}`)).toEqual(['fleet_migrations', 'projects', 'users']);
    expect(await schemaTables('public')).toEqual(['fleet_index', 'fleet_index_meta', 'fleet_migrations', 'fleet_tenants', 'tenants']); // Fleet's index, version table and tenant ledger, the registry

    const st = await status(opts());
    expect(st.targets).toHaveLength(21);
    expect(st.targets.every((t) => t.state === 'at-head')).toBe(true);
    expect(st.targets[5]).toMatchObject({ target: 'fx/main/t005', tenant: 't005', schema: 'tenant_t005', applied: ['CreateUsers1000', 'CreateProjects2000'], pending: [] });
    expect(st.statements).toBeLessThanOrEqual(4); // global (2) + one catalog query + one UNION ALL, not one per tenant
    expect((await verify(opts())).ok).toBe(true);
  });

  it('reports 3 failing tenants of 100 while 97 reach head; after the fix a rerun converges and verify passes', async () => {
    setupSchemaFleet();
    await migrate(opts());
    await addTenants(ids(100));
    await migrate(opts({ concurrency: 4 }));
    const broken = ['t013', 't050', 't077'];
    for (const id of broken) await query(db, `INSERT INTO tenant_${id}.users (email) VALUES ('dup@x'), ('dup@x')`);
    project.writeMigration('tenant', {
      name: 'UniqueEmail2000',
      up: ['-- fleet-lint-disable-next-statement FLEET101: the test tenants hold two rows each\nCREATE UNIQUE INDEX uq_users_email ON users (email)'],
      down: ['DROP INDEX uq_users_email'],
    });

    const events: FleetEvent[] = [];
    const run = await migrate(opts({ concurrency: 4, onEvent: (e: FleetEvent) => events.push(e) }));
    expect(run.ok).toBe(false);
    expect(run.summary).toMatchObject({ targets: 101, changed: 97, unchanged: 1, failed: 3 });
    const failed = run.results.filter((r) => r.outcome === 'failed');
    expect(failed.map((r) => r.tenant)).toEqual(broken);
    for (const r of failed) {
      expect(r.failed!.migration).toBe('UniqueEmail2000');
      expect(String(r.failed!.error.message)).toMatch(/could not create unique index/);
      expect(r.versionBefore).toBe('CreateUsers1000');
      expect(r.versionAfter).toBe('CreateUsers1000');
    }
    expect(events.filter((e) => e.type === 'target-end')).toHaveLength(101);

    const v = await verify(opts());
    expect(v.ok).toBe(false);
    expect(v.stragglers.map((s) => s.target)).toEqual(broken.map((id) => `fx/main/${id}`));

    for (const id of broken) await query(db, `DELETE FROM tenant_${id}.users WHERE id IN (SELECT max(id) FROM tenant_${id}.users)`);
    const rerun = await migrate(opts());
    expect(rerun.ok).toBe(true);
    expect(rerun.results.filter((r) => r.outcome === 'changed').map((r) => r.tenant)).toEqual(broken);
    expect((await verify(opts())).ok).toBe(true);
  }, 60_000);

  it('warns when a database holds more tenant schemas than the configured cap', async () => {
    setupSchemaFleet({}, { maxSchemasPerDatabase: 2 });
    await migrate(opts());
    await addTenants(ids(3));
    const notices: string[] = [];
    await migrate(opts({ onEvent: (e: FleetEvent) => e.type === 'notice' && notices.push(e.message) }));
    expect(notices.some((n) => n.includes('holds 3 tenant schemas, more than 2') && n.includes('row-level security'))).toBe(true);
  });

  it('touches no tenant when the global track fails', async () => {
    setupSchemaFleet({}, { discover: { list: ['a1', 'b2'] } });
    project.writeMigration('global', { name: 'Broken2000', up: ['SELECT 1/0'] });
    const report = await migrate(opts());
    expect(report.ok).toBe(false);
    expect(report.results.map((r) => [r.target, r.outcome])).toEqual([
      ['fx/main', 'failed'],
      ['fx/main/a1', 'not-run'],
      ['fx/main/b2', 'not-run'],
    ]);
    expect(await query(db, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant_%'`)).toEqual([]);
  });

  it('records conditional migrations as skipped on the tenants they do not apply to', async () => {
    setupSchemaFleet();
    await migrate(opts());
    await addTenants(['free1', 'free2']);
    await addTenants(['pro1'], 'pro');
    project.writeMigration('tenant', {
      name: 'ProReports2000',
      up: ['CREATE TABLE reports (id serial PRIMARY KEY)'],
      members: "  appliesTo(target: { attributes: Record<string, unknown> }) {\n    return target.attributes.plan === 'pro' || 'only for the pro plan';\n  }\n",
    });
    const report = await migrate(opts());
    expect(report.ok).toBe(true);
    const byTenant = Object.fromEntries(report.results.filter((r) => r.tenant).map((r) => [r.tenant, r]));
    expect(byTenant.pro1.applied).toEqual(['CreateUsers1000', 'ProReports2000']);
    expect(byTenant.free1.skipped).toEqual([{ migration: 'ProReports2000', reason: 'only for the pro plan' }]);
    expect(await schemaTables('tenant_pro1')).toContain('reports');
    expect(await schemaTables('tenant_free1')).not.toContain('reports');
    const st = await status(opts());
    expect(st.targets.find((t) => t.tenant === 'free1')).toMatchObject({ state: 'at-head', skipped: ['ProReports2000'] });
    const hist = await history(opts({ tenants: ['free2'] }));
    expect(hist.targets.find((t) => t.tenant === 'free2')!.entries[1]).toMatchObject({ name: 'ProReports2000', status: 'skipped', reason: 'only for the pro plan' });
  });

  it('reports an unsafe tenant id from the registry as failed and creates nothing for it', async () => {
    setupSchemaFleet();
    await migrate(opts());
    await addTenants(['good1', 'Bad"; DROP SCHEMA public; --']);
    const report = await migrate(opts());
    expect(report.ok).toBe(false);
    const bad = report.results.find((r) => r.target.includes('Bad'))!;
    expect(bad.outcome).toBe('failed');
    expect(bad.failed!.error.code).toBe('INVALID_IDENTIFIER');
    expect(report.results.find((r) => r.tenant === 'good1')!.outcome).toBe('changed');
    expect(await query(db, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant_%' ORDER BY 1`)).toEqual([{ nspname: 'tenant_good1' }]);
    expect(await schemaTables('public')).toEqual(['fleet_index', 'fleet_index_meta', 'fleet_migrations', 'fleet_tenants', 'tenants']); // Fleet's index, version table and tenant ledger, the registry
  });

  it('never opens more connections than the budget, even with a wider fan-out', async () => {
    setupSchemaFleet();
    await migrate(opts());
    await addTenants(ids(60));
    project.writeMigration('tenant', { name: 'Slow2000', up: ['SELECT pg_sleep(0.03)'] });
    const sampler = samplePeakConnections(db, 'fleet:fx');
    const report = await migrate(opts({ concurrency: 8, maxConnections: 3 }));
    const peak = await sampler.stop();
    expect(report.ok).toBe(true);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(3);
  }, 60_000);

  it('splits the tenants deterministically with --slice and filters with --tenant', async () => {
    setupSchemaFleet();
    await migrate(opts());
    await addTenants(ids(30));
    const one = await migrate(opts({ slice: { index: 1, count: 2 } }));
    const two = await migrate(opts({ slice: { index: 2, count: 2 } }));
    const a = one.results.filter((r) => r.tenant).map((r) => r.tenant);
    const b = two.results.filter((r) => r.tenant).map((r) => r.tenant);
    expect(a.length + b.length).toBe(30);
    expect(a.filter((x) => b.includes(x))).toEqual([]);
    const again = await migrate(opts({ slice: { index: 1, count: 2 } }));
    expect(again.results.filter((r) => r.tenant).map((r) => r.tenant)).toEqual(a);

    const only = await status(opts({ tenants: ['t002', 't007'] }));
    expect(only.targets.map((t) => t.target)).toEqual(['fx/main', 'fx/main/t002', 'fx/main/t007']);
    await expect(status(opts({ tenants: ['nope'] }))).rejects.toThrow(/--tenant nope: no such tenant/);
  });

  it('migrates one database per tenant, creating the databases', async () => {
    const prefix = uniqueName('fleet_t_dbt');
    db = uniqueName('fleet_t_registry');
    databases.push(db, `${prefix}_acme`, `${prefix}_globex`);
    env = { FX_MAIN_URL: databaseUrl(db) };
    project.writeConfig({
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
    project.writeMigration('global', REGISTRY);
    project.writeMigration('tenant', T_USERS);
    const report = await migrate(opts());
    expect(report.ok).toBe(true);
    expect(report.results.map((r) => [r.target, r.outcome])).toEqual([
      ['fx/main', 'changed'],
      ['fx/main/acme', 'changed'],
      ['fx/main/globex', 'changed'],
    ]);
    expect(await query(`${prefix}_acme`, 'SELECT name FROM fleet_migrations')).toEqual([{ name: 'CreateUsers1000' }]);
    const st = await status(opts());
    expect(st.targets.map((t) => t.state)).toEqual(['at-head', 'at-head', 'at-head']);
  });

  it('runs the same migrations on every shard', async () => {
    db = uniqueName('fleet_t_sharded');
    databases.push(...[0, 1, 2].map((i) => `${db}_shard_${i}`));
    env = { FX_EVENTS_DATABASE_URL: databaseUrl(db) };
    project.writeConfig({ app: 'fx', databases: { events: { migrations: './events', createDatabase: true, shards: 3 } } });
    project.writeMigration('events', T_USERS);
    const report = await migrate(opts());
    expect(report.ok).toBe(true);
    expect(report.results.map((r) => r.target)).toEqual(
      ['fx/events/fx_events_shard_0', 'fx/events/fx_events_shard_1', 'fx/events/fx_events_shard_2'].map((t) => t.replace(/fx_events/, db)),
    );
    for (const i of [0, 1, 2]) expect(await query(`${db}_shard_${i}`, 'SELECT name FROM fleet_migrations')).toEqual([{ name: 'CreateUsers1000' }]);
    expect((await verify(opts())).targets).toBe(3);
  });

  it('applies each migration exactly once per tenant when two processes migrate the fleet at once, and journals the run', async () => {
    setupSchemaFleet();
    await migrate(opts());
    await addTenants(ids(40));
    await query(db, 'CREATE TABLE public.side_effects (tenant text)');
    project.writeMigration('tenant', { name: 'Count2000', up: ['INSERT INTO public.side_effects VALUES (current_schema())', 'SELECT pg_sleep(0.01)'], members: LINT_ALLOW });
    const [a, b] = await Promise.all([
      runFleet(['migrate', '--config', project.path('fleet.config.ts'), '--json'], env),
      runFleet(['migrate', '--config', project.path('fleet.config.ts'), '--json'], env),
    ]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const counts = await query<{ tenant: string; n: number }>(db, 'SELECT tenant, count(*)::int AS n FROM public.side_effects GROUP BY tenant');
    expect(counts).toHaveLength(40);
    expect(counts.every((c) => c.n === 1)).toBe(true);
    const applied = [a, b].flatMap((r) => JSON.parse(r.stdout).results.flatMap((x: { applied: string[] }) => x.applied));
    expect(applied.filter((n) => n === 'Count2000')).toHaveLength(40);
    expect(a.stderr).toContain('"type":"run-start"');

    // The journal: snapshot before, result per target after.
    const journal = JSON.parse(a.stdout).journal as string;
    expect(existsSync(journal)).toBe(true);
    const j = JSON.parse(readFileSync(journal, 'utf8'));
    expect(j).toMatchObject({ app: 'fx', command: 'migrate', state: 'finished', ok: true });
    expect(j.before).toHaveLength(41);
    expect(j.results).toHaveLength(41);
    rmSync(journal);
  }, 60_000);
});
