/**
 * A database that does not exist: the error names the database looked for and where its name
 * came from, and never suggests creating one when the app's history is in another database on
 * the same server (a DataSource whose `database` came from a variable init could not read).
 */
import { dropDatabase, query, runFleet, testServer, useFixture, withAdmin } from '../src/testing';

describe('a missing database (real PostgreSQL)', () => {
  const fx = useFixture('mdb');
  let app = '';
  let missing = '';
  let env: NodeJS.ProcessEnv = {};

  beforeEach(async () => {
    // The app's real database (fx.db), migrated by TypeORM's CLI before Fleet.
    app = fx.db; // its default database <app>_main contains the real name, as billing_main contains billing
    missing = `${app}_main`;
    await withAdmin((c) => c.query(`CREATE DATABASE "${fx.db}"`));
    await query(fx.db, 'CREATE TABLE migrations (id serial PRIMARY KEY, "timestamp" bigint NOT NULL, name varchar NOT NULL)');
    await query(fx.db, `INSERT INTO migrations ("timestamp", name) VALUES (1000, 'CreateUsers1000'), (2000, 'AddEmail2000')`);
    const server = testServer();
    env = { PGHOST: server.host, PGPORT: String(server.port), PGUSER: server.user, ...(server.password ? { PGPASSWORD: server.password } : {}) };
    fx.project.writeMigration('migrations', { name: 'CreateUsers1000', up: ['CREATE TABLE users (id int)'] });
  });
  afterEach(() => dropDatabase(missing));

  const exists = async (name: string) => (await query<{ n: number }>('postgres', 'SELECT count(*)::int AS n FROM pg_database WHERE datname = $1', [name]))[0].n === 1;

  it('names the database, where the name came from, and where the history is; suggests no createDatabase; creates nothing', async () => {
    fx.project.writeConfig({ app, databases: { main: { migrations: './migrations' } } });
    const run = await runFleet(['migrate', '--config', fx.project.path('fleet.config.ts')], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `Database ${missing} of ${app}/main does not exist on postgres://${testServer().user}@${testServer().host}:${testServer().port} (the name comes from `,
    );
    expect(run.stderr).toMatch(/the name comes from [^)]*(default|databases\.main\.database)/);
    expect(run.stderr).toContain(`Migration history for it is in another database on this server: ${fx.db} (public.migrations, TypeORM's migrations table, 2 row(s))`);
    expect(run.stderr).toContain(`set databases.main.database: '${fx.db}'`);
    expect(run.stderr).not.toMatch(/createDatabase/);
    expect(await exists(missing)).toBe(false);

    // status says the same, as a warning, and still reports.
    const st = await runFleet(['status', '--config', fx.project.path('fleet.config.ts')], env);
    expect(st.stderr).toContain(`warning: Database ${missing} of ${app}/main does not exist`);
    expect(st.stderr).toContain(`is in another database on this server: ${fx.db}`);
    expect(await exists(missing)).toBe(false);
  });

  it('the name from the URL variable is said so', async () => {
    fx.project.writeConfig({ app, databases: { main: { migrations: './migrations', urlEnv: 'MDB_URL' } } });
    const s = testServer();
    const run = await runFleet(['migrate', '--config', fx.project.path('fleet.config.ts')], { MDB_URL: `postgres://${s.user}@${s.host}:${s.port}/${missing}` });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`Database ${missing} of ${app}/main does not exist on`);
    expect(run.stderr).toContain('(the name comes from MDB_URL)');
    expect(run.stderr).toContain(`history for it is in another database on this server: ${fx.db}`);
  });

  it('with no history anywhere, says how to create it', async () => {
    fx.project.writeConfig({ app, databases: { main: { migrations: './migrations', versionTable: `vt_${app}`, adoptTypeormTable: false } } });
    const run = await runFleet(['migrate', '--config', fx.project.path('fleet.config.ts')], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`No database on this server holds migration history for it (vt_${app}).`);
    expect(run.stderr).toMatch(/create it, or set createDatabase: true for main in \S*fleet\.config\.ts/);
    expect(await exists(missing)).toBe(false);
  });
});
