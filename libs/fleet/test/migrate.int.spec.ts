/**
 * The engine end to end on the real PostgreSQL server: migrate, status, history, revert, stamp,
 * integrity errors, transaction modes, adoption of TypeORM's table, and the per-target lock.
 */
import { Client } from 'pg';
import { migrate, revert, stamp } from '../src/commands/run-commands';
import { status } from '../src/commands/status';
import { history } from '../src/commands/history';
import { runCommand } from '../src/cli/run-command';
import { FixtureProject, MigrationSpec, WORKSPACE_ROOT, databaseUrl, dropDatabase, query, testServer, uniqueName } from '../src/testing';

const USERS: MigrationSpec = { name: 'CreateUsers1000', up: ['CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL)'], down: ['DROP TABLE users'] };
const POSTS: MigrationSpec = { name: 'CreatePosts2000', up: ['CREATE TABLE posts (id serial PRIMARY KEY, user_id int REFERENCES users(id))'], down: ['DROP TABLE posts'] };
const TAGS: MigrationSpec = { name: 'CreateTags3000', up: ['CREATE TABLE tags (id serial PRIMARY KEY)'], down: ['DROP TABLE tags'] };

describe('fleet on PostgreSQL', () => {
  let project: FixtureProject;
  let databases: string[];
  let env: NodeJS.ProcessEnv;

  /** A project with one database `main` (and optionally more), each database a fresh name. */
  function setup(dbOptions: Record<string, unknown> = {}, extra: Record<string, Record<string, unknown>> = {}) {
    const main = uniqueName('fleet_t_main');
    databases.push(main);
    env = { FX_MAIN_URL: databaseUrl(main) };
    const dbs: Record<string, unknown> = { main: { migrations: './migrations', createDatabase: true, urlEnv: 'FX_MAIN_URL', lockWaitMs: 2000, ...dbOptions } };
    for (const [key, options] of Object.entries(extra)) {
      const name = uniqueName(`fleet_t_${key}`);
      databases.push(name);
      env[`FX_${key.toUpperCase()}_URL`] = databaseUrl(name);
      dbs[key] = { migrations: `./migrations-${key}`, createDatabase: true, urlEnv: `FX_${key.toUpperCase()}_URL`, lockWaitMs: 2000, ...options };
    }
    project.writeConfig({ app: 'fx', databases: dbs });
    return main;
  }

  const opts = () => ({ config: project.path('fleet.config.ts'), workspaceRoot: WORKSPACE_ROOT, env });
  const tables = async (db: string, schema = 'public') =>
    (await query<{ t: string }>(db, `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [schema])).map((r) => r.t);

  beforeEach(() => {
    project = new FixtureProject('migrate');
    databases = [];
  });

  afterEach(async () => {
    project.remove();
    for (const db of databases) await dropDatabase(db);
  });

  it('creates the database, applies pending migrations once, and records name, checksum and duration', async () => {
    const db = setup();
    project.writeMigration('migrations', USERS);
    project.writeMigration('migrations', POSTS);

    const first = await migrate(opts());
    expect(first.ok).toBe(true);
    expect(first.results).toHaveLength(1);
    expect(first.results[0]).toMatchObject({ target: 'fx/main', outcome: 'changed', applied: ['CreateUsers1000', 'CreatePosts2000'], versionAfter: 'CreatePosts2000' });
    expect(await tables(db)).toEqual(['fleet_migrations', 'posts', 'users']);

    const rows = await query<{ name: string; checksum: string; status: string; method: string; duration_ms: number }>(
      db,
      'SELECT name, checksum, status, method, duration_ms FROM fleet_migrations ORDER BY seq',
    );
    expect(rows.map((r) => [r.name, r.status, r.method])).toEqual([
      ['CreateUsers1000', 'applied', 'run'],
      ['CreatePosts2000', 'applied', 'run'],
    ]);
    expect(rows[0].checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0].duration_ms).toBeGreaterThanOrEqual(0);

    const second = await migrate(opts());
    expect(second.results[0]).toMatchObject({ outcome: 'unchanged', applied: [] });

    const st = await status(opts());
    expect(st.targets[0]).toMatchObject({ target: 'fx/main', database: 'main', schema: 'public', state: 'at-head', applied: ['CreateUsers1000', 'CreatePosts2000'], pending: [] });

    const hist = await history(opts());
    expect(hist.targets[0].entries.map((e) => [e.name, e.checksum])).toEqual([
      ['CreateUsers1000', 'ok'],
      ['CreatePosts2000', 'ok'],
    ]);
  });

  it('gives each database of an app its own migrations and version table (name and schema configurable)', async () => {
    const main = setup({}, { audit: { schema: 'audit', versionTable: 'audit_versions' } });
    project.writeMigration('migrations', USERS);
    project.writeMigration('migrations-audit', TAGS);
    const report = await migrate(opts());
    expect(report.ok).toBe(true);
    expect(report.results.map((r) => [r.target, r.applied])).toEqual([
      ['fx/main', ['CreateUsers1000']],
      ['fx/audit', ['CreateTags3000']],
    ]);
    const audit = databases[1];
    expect(await tables(main)).toEqual(['fleet_migrations', 'users']);
    expect(await tables(audit, 'audit')).toEqual(['audit_versions', 'tags']);
    expect(await tables(audit, 'public')).toEqual([]);
    const st = await status({ ...opts(), databases: ['audit'] });
    expect(st.targets.map((t) => [t.target, t.schema, t.state])).toEqual([['fx/audit', 'audit', 'at-head']]);
  });

  it('reports pending migrations and a database that does not exist yet, without creating it', async () => {
    const db = setup();
    project.writeMigration('migrations', USERS);
    const st = await status(opts());
    expect(st.targets[0]).toMatchObject({ state: 'pending', pending: ['CreateUsers1000'], applied: [] });
    expect(st.targets[0].note).toContain('does not exist');
    expect(await query(`postgres`, 'SELECT 1 FROM pg_database WHERE datname = $1', [db])).toEqual([]);
  });

  it('refuses to run anything when an applied migration was edited, naming it', async () => {
    const db = setup();
    const file = project.writeMigration('migrations', USERS);
    await migrate(opts());
    project.writeFile(file.slice(project.root.length + 1), require('node:fs').readFileSync(file, 'utf8') + '\n// an edit\n');
    project.writeMigration('migrations', POSTS);

    const report = await migrate(opts());
    expect(report.ok).toBe(false);
    expect(report.results[0].outcome).toBe('blocked');
    expect(report.results[0].applied).toEqual([]);
    expect(report.results[0].findings[0]).toMatchObject({ kind: 'checksum-mismatch', migration: 'CreateUsers1000' });
    expect(await tables(db)).toEqual(['fleet_migrations', 'users']);

    const out: string[] = [];
    const code = await runCommand('migrate', opts(), { stdout: (t) => out.push(t), stderr: (t) => out.push(t), isTTY: false });
    expect(code).toBe(1);
    expect(out.join('')).toMatch(/BLOCKED fx\/main .*CreateUsers1000 was edited after it was applied/);

    // The documented way out for a harmless edit: stamp to the current version, then migrate.
    expect((await stamp({ ...opts(), to: 'CreateUsers1000' })).ok).toBe(true);
    expect((await migrate(opts())).results[0].applied).toEqual(['CreatePosts2000']);
  });

  it('refuses to run when an applied migration is missing from the code', async () => {
    setup();
    const file = project.writeMigration('migrations', USERS);
    project.writeMigration('migrations', POSTS);
    await migrate(opts());
    require('node:fs').rmSync(file.replace('1000-CreateUsers', '2000-CreatePosts'));
    project.writeMigration('migrations', TAGS);
    const report = await migrate(opts());
    expect(report.results[0].outcome).toBe('blocked');
    expect(report.results[0].findings.map((f) => f.kind)).toEqual(['missing-from-code']);
    expect(report.results[0].findings[0].message).toContain('CreatePosts2000 is applied in the database but missing from the code');
    expect((await status(opts())).targets[0].state).toBe('diverged');
  });

  it('refuses a new migration ordered before an applied one unless allowed', async () => {
    const db = setup();
    project.writeMigration('migrations', USERS);
    project.writeMigration('migrations', TAGS);
    await migrate(opts());
    project.writeMigration('migrations', POSTS);
    const blocked = await migrate(opts());
    expect(blocked.results[0].findings[0]).toMatchObject({ kind: 'out-of-order', migration: 'CreatePosts2000' });
    expect(await tables(db)).not.toContain('posts');
    const allowed = await migrate({ ...opts(), allowOutOfOrder: true });
    expect(allowed.results[0].applied).toEqual(['CreatePosts2000']);
  });

  it('keeps committed migrations and rolls back the failing one (each), then converges after the fix', async () => {
    const db = setup();
    project.writeMigration('migrations', USERS);
    const broken = project.writeMigration('migrations', { name: 'CreatePosts2000', up: ['CREATE TABLE posts (id serial PRIMARY KEY)', 'SELECT no_such_function()'] });
    project.writeMigration('migrations', TAGS);
    const first = await migrate(opts());
    expect(first.ok).toBe(false);
    expect(first.results[0]).toMatchObject({ outcome: 'failed', applied: ['CreateUsers1000'], failed: { migration: 'CreatePosts2000' } });
    expect(String(first.results[0].failed!.error.message)).toContain('no_such_function');
    expect(await tables(db)).toEqual(['fleet_migrations', 'users']); // posts rolled back, tags never ran

    require('node:fs').rmSync(broken);
    jest.resetModules();
    project.writeMigration('migrations', POSTS);
    const second = await migrate(opts());
    expect(second.results[0].applied).toEqual(['CreatePosts2000', 'CreateTags3000']);
    expect((await status(opts())).targets[0].state).toBe('at-head');
  });

  it('applies all pending migrations in one transaction in `all` mode', async () => {
    const db = setup({ transactionMode: 'all' });
    project.writeMigration('migrations', USERS);
    project.writeMigration('migrations', { name: 'Broken2000', up: ['SELECT 1/0'] });
    const report = await migrate(opts());
    expect(report.results[0]).toMatchObject({ outcome: 'failed', applied: [] });
    // The version table is created in that transaction too (with its START TRANSACTION): nothing is left.
    expect(await tables(db)).toEqual([]);
  });

  it('runs a non-transactional migration (CREATE INDEX CONCURRENTLY)', async () => {
    const db = setup();
    project.writeMigration('migrations', USERS);
    project.writeMigration('migrations', {
      name: 'IndexEmail2000',
      transaction: false,
      up: ['CREATE INDEX CONCURRENTLY ix_users_email ON users (email)'],
      down: ['DROP INDEX CONCURRENTLY ix_users_email'],
    });
    const report = await migrate(opts());
    expect(report.results[0].applied).toEqual(['CreateUsers1000', 'IndexEmail2000']);
    expect(await query(db, `SELECT indexname FROM pg_indexes WHERE indexname = 'ix_users_email'`)).toHaveLength(1);
    expect((await revert(opts())).results[0].reverted).toEqual(['IndexEmail2000']);
    expect(await query(db, `SELECT indexname FROM pg_indexes WHERE indexname = 'ix_users_email'`)).toHaveLength(0);
  });

  it("adopts a database migrated by TypeORM's CLI: its history is recognised and nothing re-runs", async () => {
    const db = setup({ createDatabase: true });
    project.writeMigration('migrations', USERS);
    project.writeMigration('migrations', POSTS);
    await query('postgres', `CREATE DATABASE "${db}"`);
    await query(db, 'CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL)');
    await query(db, 'CREATE TABLE migrations (id SERIAL PRIMARY KEY, "timestamp" bigint NOT NULL, name varchar NOT NULL)');
    await query(db, `INSERT INTO migrations ("timestamp", name) VALUES (1000, 'CreateUsers1000')`);

    const st = await status(opts());
    expect(st.targets[0]).toMatchObject({ state: 'pending', applied: ['CreateUsers1000'], pending: ['CreatePosts2000'] });

    const report = await migrate(opts());
    expect(report.results[0].applied).toEqual(['CreatePosts2000']);
    const rows = await query<{ name: string; method: string }>(db, 'SELECT name, method FROM fleet_migrations ORDER BY seq');
    expect(rows).toEqual([
      { name: 'CreateUsers1000', method: 'adopt' },
      { name: 'CreatePosts2000', method: 'run' },
    ]);
  });

  it('reverts by steps and to base, and stamps without running', async () => {
    const db = setup();
    project.writeMigration('migrations', USERS);
    project.writeMigration('migrations', POSTS);
    project.writeMigration('migrations', TAGS);
    await migrate(opts());

    expect((await revert({ ...opts(), steps: 2 })).results[0].reverted).toEqual(['CreateTags3000', 'CreatePosts2000']);
    expect(await tables(db)).toEqual(['fleet_migrations', 'users']);
    expect((await status(opts())).targets[0].pending).toEqual(['CreatePosts2000', 'CreateTags3000']);

    const stamped = await stamp({ ...opts(), to: 'CreateTags3000' });
    expect(stamped.results[0].recorded).toEqual(['record CreatePosts2000', 'record CreateTags3000']);
    expect(await tables(db)).toEqual(['fleet_migrations', 'users']); // nothing ran
    const methods = await query<{ name: string; method: string }>(db, 'SELECT name, method FROM fleet_migrations ORDER BY seq');
    expect(methods.map((m) => m.method)).toEqual(['run', 'stamp', 'stamp']);

    // Un-recording applied migrations without running down() needs --force; nothing changes without it.
    const refused = await stamp({ ...opts(), to: 'CreateUsers1000' });
    expect(refused.results[0]).toMatchObject({ outcome: 'blocked', findings: [{ kind: 'stamp-unrecords' }] });
    expect((await status(opts())).targets[0].state).toBe('at-head');
    await stamp({ ...opts(), to: 'CreateUsers1000', force: true });
    expect((await revert({ ...opts(), to: 'base' })).results[0].reverted).toEqual(['CreateUsers1000']);
    expect(await tables(db)).toEqual(['fleet_migrations']);
  });

  it('rejects --to for a migration no database has, before touching anything', async () => {
    setup();
    project.writeMigration('migrations', USERS);
    await expect(migrate({ ...opts(), to: 'Nope1' })).rejects.toThrow(/no database of app fx has a migration with that name/);
  });

  it('fails with a message naming the holder when another session holds the target lock', async () => {
    const db = setup({ lockWaitMs: 300 });
    project.writeMigration('migrations', USERS);
    await migrate(opts());
    project.writeMigration('migrations', POSTS);

    const { targetLockKey } = await import('../src/locking/target-lock');
    const key = targetLockKey(db, 'public', 'fleet_migrations');
    const holder = new Client({ ...testServer(), database: db, application_name: 'someone-else' });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1::int4, $2::int4)', [key.classId, key.objectId]);
      const started = Date.now();
      const report = await migrate(opts());
      expect(Date.now() - started).toBeLessThan(5000);
      expect(report.results[0].outcome).toBe('failed');
      const message = String(report.results[0].failed!.error.message);
      expect(message).toContain('fx/main is locked');
      expect(message).toContain('application "someone-else"');
      expect(message).toMatch(/pid \d+/);
      expect(await tables(db)).not.toContain('posts');
    } finally {
      await holder.end();
    }
    expect((await migrate(opts())).results[0].applied).toEqual(['CreatePosts2000']);
  });

  it('applies each migration exactly once when many runners start at once in one process', async () => {
    const db = setup({ lockWaitMs: 20_000 });
    project.writeMigration('migrations', { name: 'Counter1000', up: ['CREATE TABLE side_effects (n int)'] });
    project.writeMigration('migrations', { name: 'Bump2000', up: ['INSERT INTO side_effects VALUES (1)', 'SELECT pg_sleep(0.05)'] });
    project.writeMigration('migrations', { name: 'Bump3000', up: ['INSERT INTO side_effects VALUES (2)'] });
    const reports = await Promise.all(Array.from({ length: 8 }, () => migrate(opts())));
    expect(reports.every((r) => r.ok)).toBe(true);
    const applied = reports.flatMap((r) => r.results[0].applied);
    expect(applied.sort()).toEqual(['Bump2000', 'Bump3000', 'Counter1000']);
    expect(await query(db, 'SELECT n FROM side_effects ORDER BY n')).toEqual([{ n: 1 }, { n: 2 }]);
    const counts = await query<{ name: string; c: string }>(db, 'SELECT name, count(*)::text AS c FROM fleet_migrations GROUP BY name ORDER BY name');
    expect(counts.map((c) => c.c)).toEqual(['1', '1', '1']);
  });
});
