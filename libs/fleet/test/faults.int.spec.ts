/**
 * Faults on the real server: the runner killed mid-run, a worker's connection terminated, the
 * server restarted, many runners at once, a large fleet under a small budget. After every fault a
 * rerun converges and nothing is half-applied.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../src/commands/run-commands';
import { status } from '../src/commands/status';
import { verify } from '../src/commands/verify';
import {
  FixtureProject,
  startEmbeddedTestServer,
  type EmbeddedTestServer,
  tenantFleetConfig,
  WORKSPACE_ROOT,
  LINT_ALLOW,
  runFleet,
  databaseUrl,
  dropDatabase,
  query,
  samplePeakConnections,
  uniqueName,
  waitForBackend,
  withAdmin,
} from '../src/testing';

const FLEET_BIN = join(WORKSPACE_ROOT, 'libs', 'fleet', 'bin', 'fleet.js');
const ids = (n: number) => Array.from({ length: n }, (_, i) => `t${String(i + 1).padStart(4, '0')}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the server again on the same data directory and port. On a loaded machine the stopped
 * postmaster can still hold the port for a moment, so a failed start is retried (its error kept).
 */
async function restartEmbeddedServer(dataDir: string, port: string): Promise<EmbeddedTestServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startEmbeddedTestServer(dataDir, port);
    } catch (err) {
      if (attempt === 3) throw err;
      await sleep(1000);
    }
  }
}

describe('faults', () => {
  let project: FixtureProject;
  let db: string;
  let env: NodeJS.ProcessEnv;

  function setup(url?: string) {
    project = new FixtureProject('faults');
    db = uniqueName('fleet_t_faults');
    env = { FX_MAIN_URL: url ?? databaseUrl(db) };
    project.writeConfig(tenantFleetConfig({ lockWaitMs: 60_000 }));
    project.writeMigration('global', { name: 'CreateTenants1000', up: ['CREATE TABLE tenants (id text PRIMARY KEY)', 'CREATE TABLE side_effects (tenant text, migration text)'] });
    project.writeMigration('tenant', {
      name: 'CreateUsers1000',
      up: ['CREATE TABLE users (id serial PRIMARY KEY, email text)', "INSERT INTO public.side_effects VALUES (current_schema(), 'users')"],
      members: LINT_ALLOW,
    });
  }
  const opts = (extra: Record<string, unknown> = {}) => ({ config: project.path('fleet.config.ts'), workspaceRoot: WORKSPACE_ROOT, env, ...extra });
  const addTenants = (list: string[]) => withAdmin((c) => c.query('INSERT INTO tenants (id) SELECT unnest($1::text[])', [list]), db);
  /** Every tenant's tables agree with its version table: a transactional migration is all or nothing. */
  async function assertNoHalfMigratedTenant(): Promise<void> {
    const rows = await query<{ schema: string; has_projects: boolean; recorded: boolean }>(
      db,
      `SELECT n.nspname AS schema,
              to_regclass(quote_ident(n.nspname) || '.projects') IS NOT NULL AS has_projects,
              EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid AND c.relname = 'fleet_migrations') AS recorded
         FROM pg_namespace n WHERE n.nspname LIKE 'tenant\\_%'`,
    );
    for (const r of rows) {
      if (!r.recorded) continue;
      const names = (await query<{ name: string }>(db, `SELECT name FROM "${r.schema}".fleet_migrations WHERE status = 'applied'`)).map((x) => x.name);
      expect({ schema: r.schema, projects: r.has_projects }).toEqual({ schema: r.schema, projects: names.includes('CreateProjects2000') });
    }
  }

  afterEach(async () => {
    project.remove();
    await dropDatabase(db);
  });

  it('SIGKILL mid-run: nothing half-applied, an interrupted non-transactional migration needs attention, a rerun converges', async () => {
    setup();
    await migrate(opts());
    await addTenants(ids(60));
    await migrate(opts());
    project.writeMigration('tenant', { name: 'CreateProjects2000', up: ['CREATE TABLE projects (id serial PRIMARY KEY)', 'SELECT pg_sleep(0.05)'] });
    project.writeMigration('tenant', { name: 'SlowIndex3000', transaction: false, up: ["SELECT pg_sleep(CASE WHEN current_schema() = 'tenant_t0003' THEN 5 ELSE 0 END)"] });

    const child = spawn(process.execPath, [FLEET_BIN, 'migrate', '--config', project.path('fleet.config.ts'), '--concurrency', '4'], {
      cwd: WORKSPACE_ROOT,
      env: { PATH: process.env.PATH, CI: 'true', ...env },
    });
    // Kill once tenant_t0003 is inside its non-transactional migration.
    await waitForBackend(db, 'pg_sleep(CASE');
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    await sleep(5500); // the orphaned backend finishes its statement and ends

    await assertNoHalfMigratedTenant();
    const st = await status(opts());
    const t3 = st.targets.find((t) => t.tenant === 't0003')!;
    expect(t3.state).toBe('failed');
    expect(t3.findings[0]).toMatchObject({ kind: 'interrupted', migration: 'SlowIndex3000' });
    expect(t3.findings[0].message).toContain('may be partly applied');

    // Any other tenant killed between its `started` and `applied` rows is flagged the same way:
    // nobody can know whether the statement finished, so none is recorded as done.
    const interrupted = st.targets.filter((t) => t.findings.some((f) => f.kind === 'interrupted')).map((t) => t.tenant!);
    expect(interrupted).toContain('t0003');
    const rerun = await migrate(opts());
    expect(rerun.results.filter((r) => r.outcome === 'blocked').map((r) => r.tenant)).toEqual(interrupted);
    // The operator checks them, sees the statement completed, and says so.
    expect((await runFleet(['stamp', '--config', project.path('fleet.config.ts'), '--tenant', interrupted.join(','), '--to', 'SlowIndex3000', '--yes'], env)).code).toBe(0);
    expect((await migrate(opts())).ok).toBe(true);
    expect((await verify(opts())).ok).toBe(true);
    const effects = await query<{ n: number }>(db, `SELECT count(*)::int AS n FROM side_effects WHERE migration = 'users'`);
    expect(effects[0].n).toBe(60); // never applied twice
  }, 120_000);

  it("a worker's connection terminated mid-migration: that target is retried on a new connection (57P01) and lands; the others finish", async () => {
    setup();
    await migrate(opts());
    await addTenants(ids(20));
    project.writeMigration('tenant', {
      name: 'CreateProjects2000',
      up: ['CREATE TABLE projects (id serial PRIMARY KEY)', "SELECT pg_sleep(CASE WHEN current_schema() = 'tenant_t0005' THEN 3 ELSE 0 END)"],
    });
    // Every tenant runs that statement (t0005 sleeps in it): the one running for 0.5 s is t0005's.
    const killer = waitForBackend(db, 'pg_sleep(CASE', 10_000, 500).then((pid) => query('postgres', 'SELECT pg_catalog.pg_terminate_backend($1)', [pid]));
    const report = await migrate(opts());
    await killer;
    expect(report.summary).toMatchObject({ targets: 21, changed: 20, failed: 0 });
    const t5 = report.results.find((r) => r.tenant === 't0005')!;
    expect(t5.attempts!.map((a) => [a.ok, a.kind])).toEqual([
      [false, 'connection-lost'],
      [true, null],
    ]);
    expect(String(t5.attempts![0].message)).toMatch(/terminat|Connection terminated/i);
    await assertNoHalfMigratedTenant();
    expect((await verify(opts())).ok).toBe(true);
  }, 60_000);

  it('four runner processes on one 200-tenant fleet apply every migration exactly once per target', async () => {
    setup();
    await migrate(opts());
    await addTenants(ids(200));
    project.writeMigration('tenant', {
      name: 'CreateProjects2000',
      up: ['CREATE TABLE projects (id serial PRIMARY KEY)', "INSERT INTO public.side_effects VALUES (current_schema(), 'projects')"],
      members: LINT_ALLOW,
    });
    const runs = await Promise.all([1, 2, 3, 4].map(() => runFleet(['migrate', '--config', project.path('fleet.config.ts'), '--json'], env, 180_000)));
    for (const r of runs) expect(r.code).toBe(0);
    const counts = await query<{ migration: string; tenants: number; max: number }>(
      db,
      `SELECT migration, count(DISTINCT tenant)::int AS tenants, max(n)::int AS max FROM (SELECT migration, tenant, count(*) AS n FROM side_effects GROUP BY 1, 2) x GROUP BY 1 ORDER BY 1`,
    );
    expect(counts).toEqual([
      { migration: 'projects', tenants: 200, max: 1 },
      { migration: 'users', tenants: 200, max: 1 },
    ]);
    const applied = runs.flatMap((r) => JSON.parse(r.stdout).results.flatMap((x: { applied: string[] }) => x.applied)).filter((n: string) => n === 'CreateProjects2000');
    expect(applied).toHaveLength(200);
  }, 240_000);

  it('a 2000-target run never exceeds its connection budget and the server never runs out of connections', async () => {
    setup();
    await migrate(opts());
    await addTenants(ids(2000));
    const sampler = samplePeakConnections(db, 'fleet:fx');
    const report = await migrate(opts({ concurrency: 16, maxConnections: 4 }));
    const peak = await sampler.stop();
    expect(report.summary).toMatchObject({ targets: 2001, failed: 0 });
    expect(report.results.some((r) => JSON.stringify(r).includes('too many'))).toBe(false);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(4);
  }, 300_000);

  it('a server restart mid-run: the targets it cut off are retried once it is back, without hanging; the run converges', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fleet-restart-'));
    chmodSync(dataDir, 0o755);
    let server = await startEmbeddedTestServer(join(dataDir, 'pg'));
    const port = server.port;
    const dbName = uniqueName('fleet_t_restart');
    const url = `postgres://fleet:fleet@127.0.0.1:${port}/${dbName}`;
    try {
      setup(url);
      project.writeConfig(tenantFleetConfig({ lockWaitMs: 5000, createDatabase: true }));
      await migrate({ ...opts(), connectTimeoutMs: 3000 });
      const c = await import('pg').then(({ Client }) => new Client({ connectionString: url }));
      await c.connect();
      await c.query('INSERT INTO tenants (id) SELECT unnest($1::text[])', [ids(40)]);
      await c.end();
      project.writeMigration('tenant', { name: 'CreateProjects2000', up: ['CREATE TABLE projects (id serial PRIMARY KEY)', 'SELECT pg_sleep(0.1)'] });

      const started = Date.now();
      const running = runFleet(['migrate', '--config', project.path('fleet.config.ts'), '--json'], env, 120_000);
      // Stop the server once tenants are being migrated (a fixed sleep sometimes hit the CLI's
      // start-up on a loaded machine: then the whole command fails, with no per-target results).
      const probe = await import('pg').then(({ Client }) => new Client({ connectionString: url }));
      await probe.connect();
      for (let i = 0; i < 600; i++) {
        const { rows } = await probe.query(`SELECT count(*)::int AS n FROM pg_catalog.pg_tables WHERE tablename = 'projects'`);
        if (rows[0].n >= 1) break;
        await sleep(50);
      }
      await probe.end();
      await server.stop();
      await sleep(500);
      server = await restartEmbeddedServer(join(dataDir, 'pg'), port);
      const interrupted = await running;
      expect(Date.now() - started).toBeLessThan(60_000);
      // The targets the restart cut off were requeued and retried once the server was back (issue 20).
      // On failure, say which targets did not converge and why (once in five loaded CI runs, not reproduced alone).
      const notConverged = (): unknown => {
        try {
          return JSON.parse(interrupted.stdout)
            .results.filter((r: { outcome: string }) => r.outcome !== 'changed' && r.outcome !== 'unchanged')
            .map((r: { target: string; outcome: string; failed?: { error?: { message?: string } }; attempts?: unknown[] }) => ({
              target: r.target,
              outcome: r.outcome,
              error: r.failed?.error?.message,
              attempts: r.attempts,
            }));
        } catch {
          return interrupted.stderr.slice(-3000);
        }
      };
      expect({ code: interrupted.code, notConverged: interrupted.code === 0 ? [] : notConverged() }).toEqual({ code: 0, notConverged: [] });
      const doc = JSON.parse(interrupted.stdout);
      expect(doc.results.every((r: { outcome: string }) => r.outcome === 'changed' || r.outcome === 'unchanged')).toBe(true);
      const retried = doc.results.filter((r: { attempts?: unknown[] }) => r.attempts);
      expect(retried.length).toBeGreaterThan(0);
      for (const r of retried) {
        expect(r.attempts[0].kind).toBe('connection-lost');
        expect(String(r.attempts[0].message)).toMatch(/connection to the server was lost|Cannot connect to|terminating connection due to administrator command|ECONNREFUSED/);
      }

      const rerun = await migrate({ ...opts(), connectTimeoutMs: 3000 });
      expect(rerun.ok).toBe(true);
      expect((await verify(opts())).ok).toBe(true);

      // This server checks passwords (scram-sha-256): a wrong one is a clear error, never printed.
      const wrong = await runFleet(['status', '--config', project.path('fleet.config.ts')], { FX_MAIN_URL: url.replace('fleet:fleet@', 'fleet:not-the-password@') });
      expect(wrong.code).toBe(1);
      expect(wrong.stdout).toMatch(/password authentication failed for user "fleet"\. Check the user name and password/);
      expect(wrong.stdout + wrong.stderr).not.toContain('not-the-password');
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
