/**
 * The `fleet` command as a user runs it: separate processes, exit codes, JSON output, the
 * connection sources (URL variable, PGHOST, embedded server) and bad input.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FixtureProject, freePort, MigrationSpec, runFleet, databaseUrl, dropDatabase, query, testServer, uniqueName } from '../src/testing';

const USERS: MigrationSpec = { name: 'CreateUsers1000', up: ['CREATE TABLE users (id serial PRIMARY KEY)'], down: ['DROP TABLE users'] };
const COUNTED: MigrationSpec = { name: 'Counted2000', up: ['INSERT INTO side_effects VALUES (1)', 'SELECT pg_sleep(0.2)'] };

describe('fleet CLI', () => {
  let project: FixtureProject;
  let databases: string[];

  beforeEach(() => {
    project = new FixtureProject('cli');
    databases = [];
  });
  afterEach(async () => {
    project.remove();
    for (const db of databases) await dropDatabase(db);
  });

  function setup(options: Record<string, unknown> = {}) {
    const db = uniqueName('fleet_t_cli');
    databases.push(db);
    project.writeConfig({ app: 'cli', databases: { main: { migrations: './migrations', createDatabase: true, urlEnv: 'CLI_MAIN_URL', ...options } } });
    return { db, env: { CLI_MAIN_URL: databaseUrl(db) }, config: project.path('fleet.config.ts') };
  }

  it('migrates, prints JSON, and exits by outcome; status --check fails while anything is pending', async () => {
    const { env, config } = setup();
    project.writeMigration('migrations', USERS);

    const pending = await runFleet(['status', '--config', config, '--check', '--json'], env);
    expect(pending.code).toBe(1);
    const before = JSON.parse(pending.stdout);
    expect(before.targets[0]).toMatchObject({ target: 'cli/main', database: 'main', schema: 'public', applied: [], pending: ['CreateUsers1000'], state: 'pending' });

    const run = await runFleet(['migrate', '--config', config, '--json'], env);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.results[0]).toMatchObject({ target: 'cli/main', outcome: 'changed', applied: ['CreateUsers1000'] });

    const after = await runFleet(['status', '--config', config, '--check'], env);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('AT-HEAD  cli/main');
  });

  it('applies each migration exactly once when four processes migrate at once', async () => {
    const { db, env, config } = setup();
    project.writeMigration('migrations', { name: 'Counter1000', up: ['CREATE TABLE side_effects (n int)'] });
    project.writeMigration('migrations', COUNTED);
    await query('postgres', `CREATE DATABASE "${db}"`);
    const results = await Promise.all(Array.from({ length: 4 }, () => runFleet(['migrate', '--config', config, '--json'], env)));
    for (const r of results) expect(r.code).toBe(0);
    const applied = results.flatMap((r) => JSON.parse(r.stdout).results[0].applied).sort();
    expect(applied).toEqual(['Counted2000', 'Counter1000']);
    expect(await query(db, 'SELECT count(*)::int AS n FROM side_effects')).toEqual([{ n: 1 }]);
  });

  it('uses PGHOST/PGPORT/PGUSER when no URL variable is set, with the database name from the config', async () => {
    const db = uniqueName('fleet_t_pghost');
    databases.push(db);
    project.writeConfig({ app: 'cli', databases: { main: { migrations: './migrations', createDatabase: true, database: db } } });
    project.writeMigration('migrations', USERS);
    const s = testServer();
    const env = { PGHOST: s.host, PGPORT: String(s.port), PGUSER: s.user, ...(s.password ? { PGPASSWORD: s.password } : {}) };
    const run = await runFleet(['migrate', '--config', project.path('fleet.config.ts')], env);
    expect(run.stderr + run.stdout).toContain('Created database');
    expect(run.code).toBe(0);
    expect(await query(db, 'SELECT name FROM fleet_migrations')).toEqual([{ name: 'CreateUsers1000' }]);
  });

  it('fails fast with a clear error on an unreachable server', async () => {
    project.writeConfig({ app: 'cli', databases: { main: { migrations: './migrations', urlEnv: 'CLI_MAIN_URL' } } });
    project.writeMigration('migrations', USERS);
    const started = Date.now();
    const run = await runFleet(['migrate', '--config', project.path('fleet.config.ts')], { CLI_MAIN_URL: 'postgres://root@127.0.0.1:1/nowhere' });
    expect(run.code).not.toBe(0);
    expect(run.stderr + run.stdout).toMatch(/Cannot connect to postgres:\/\/root@127\.0\.0\.1:1\/nowhere: .*ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('rejects a malformed config with exit code 2 and the field at fault', async () => {
    project.writeConfig({ app: 'cli', databases: { main: { migrations: './migrations', transactionMode: 'sometimes' } } });
    const run = await runFleet(['migrate', '--config', project.path('fleet.config.ts')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('databases.main.transactionMode: must be "each" or "all"');
  });

  it('refuses a malformed FLEET_HEAP_GROWING_PERCENT before doing anything, and takes a valid one', async () => {
    const bad = await runFleet(['status', '--app', 'app1'], { FLEET_HEAP_GROWING_PERCENT: 'lots' });
    expect({ code: bad.code, stderr: bad.stderr.trim() }).toEqual({
      code: 2,
      stderr: 'fleet: FLEET_HEAP_GROWING_PERCENT must be a whole number of percent from 0 (V8\'s default) to 1000, not "lots"',
    });
    expect((await runFleet(['--help'], { FLEET_HEAP_GROWING_PERCENT: '50' })).code).toBe(0);
  });

  it('rejects unknown commands and options with usage', async () => {
    const run = await runFleet(['migrat']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown command "migrat"');
    expect((await runFleet(['revert', '--steps', 'x', '--app', 'app1'])).stderr).toContain('--steps must be a whole number');
    // Options belong to their verb: migrate has no --steps.
    expect((await runFleet(['migrate', '--steps', '2', '--app', 'app1'])).stderr).toContain('fleet migrate has no option --steps (it is an option of revert)');
  });

  it('starts the embedded PostgreSQL when no connection is configured', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fleet-embedded-test-'));
    chmodSync(dataDir, 0o755); // the server runs as the postgres OS user when we are root
    // A port nothing listens on now, below the ephemeral range (a random one in it collided once).
    const port = String(await freePort());
    project.writeConfig({ app: 'cli', databases: { main: { migrations: './migrations', createDatabase: true } } });
    project.writeMigration('migrations', USERS);
    const env = { FLEET_EMBEDDED_DIR: join(dataDir, 'pg'), FLEET_EMBEDDED_PORT: port };
    try {
      const run = await runFleet(['migrate', '--config', project.path('fleet.config.ts')], env, 120_000);
      expect(run.stderr).toContain(`Started the embedded PostgreSQL on 127.0.0.1:${port}`);
      expect(run.code).toBe(0);
      const st = await runFleet(['status', '--config', project.path('fleet.config.ts'), '--json'], env, 120_000);
      expect(JSON.parse(st.stdout).targets[0].state).toBe('at-head');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
