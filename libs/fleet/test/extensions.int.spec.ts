/**
 * Extensions where teams already have them: uuid-ossp in `public` (an earlier `typeorm` run on a
 * database that now gets tenant schemas), pgcrypto in the first tenant's schema (TypeORM's own
 * per-schema `migration:run`: its CREATE EXTENSION landed in whichever schema ran first). Fleet
 * never resolves a tenant's names in `public` or in another tenant's schema; it stops with an
 * error that names `fleet extensions relocate`, whose dry run prints the ALTER EXTENSION
 * statements per database, whose confirmed run moves them, and whose rerun does nothing.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { migrate } from '../src/commands/run-commands';
import { createTenant, dropTenant } from '../src/commands/tenants';
import { relocateExtensions } from '../src/commands/relocate-extensions';
import { FixtureProject, MigrationSpec, WORKSPACE_ROOT, databaseUrl, dropDatabase, query, runFleet, testServer, uniqueName, withAdmin } from '../src/testing';

jest.setTimeout(120_000);

const REGISTRY: MigrationSpec = { name: 'CreateTenants1000', up: ['CREATE TABLE tenants (id text PRIMARY KEY)'], down: ['DROP TABLE tenants'] };
/** As `typeorm migration:generate` writes a uuid primary key, with the extension its first migration creates. */
const API_KEYS: MigrationSpec = {
  name: 'CreateApiKeys1000',
  up: [
    'CREATE EXTENSION IF NOT EXISTS "uuid-ossp"',
    'CREATE TABLE "api_keys" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "label" text NOT NULL, CONSTRAINT "PK_api_keys" PRIMARY KEY ("id"))',
  ],
  down: ['DROP TABLE "api_keys"'],
};
/** A tenant track whose first migration creates pgcrypto (TypeORM with `uuidExtension: 'pgcrypto'`). */
const ACCOUNTS: MigrationSpec = {
  name: 'CreateAccounts1764000000000',
  up: ['CREATE EXTENSION IF NOT EXISTS "pgcrypto"', 'CREATE TABLE "accounts" ("id" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY, "name" text NOT NULL)'],
  down: ['DROP TABLE "accounts"'],
};
const INVOICES: MigrationSpec = {
  name: 'CreateInvoices1764000000001',
  up: ['CREATE TABLE "invoices" ("id" serial PRIMARY KEY, "total" int NOT NULL)'],
  down: ['DROP TABLE "invoices"'],
};

const extensionHomes = async (db: string) =>
  query<{ extname: string; schema: string }>(db, `SELECT extname, extnamespace::regnamespace::text AS schema FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1`);

describe('extensions where teams already have them', () => {
  let project: FixtureProject;
  let db: string;
  let env: NodeJS.ProcessEnv;
  let configPath: string;
  /** The command as a user types it for this fixture (its config is not under apps/<name>). */
  let relocateCli: string;

  beforeEach(() => {
    project = new FixtureProject('extensions');
    db = uniqueName('fleet_t_ext');
    env = { FX_MAIN_URL: databaseUrl(db) };
    configPath = project.path('fleet.config.ts');
    relocateCli = `fleet extensions relocate --config ${configPath.slice(WORKSPACE_ROOT.length + 1)}`;
  });
  afterEach(async () => {
    project.remove();
    await dropDatabase(db);
  });
  const opts = <T extends object>(extra?: T) => ({ config: configPath, workspaceRoot: WORKSPACE_ROOT, env, ...(extra as T) });
  const cli = (...args: string[]) => runFleet(['extensions', 'relocate', '--config', configPath, ...args], env, 120_000);

  function writeFleet(tenants: Record<string, unknown>) {
    project.writeConfig({
      app: 'fx',
      databases: { main: { migrations: './global', createDatabase: true, urlEnv: 'FX_MAIN_URL', tenants: { strategy: 'schema', migrations: './tenant', ...tenants } } },
    });
  }

  it('uuid-ossp in public: tenant create names the relocate command; its dry run changes nothing, the confirmed run moves it, a rerun does nothing', async () => {
    writeFleet({ discover: { sql: 'SELECT id FROM tenants ORDER BY id' }, registry: { table: 'tenants' } });
    project.writeMigration('global', REGISTRY);
    project.writeMigration('tenant', API_KEYS);
    // The database as an app that ran `typeorm migration:run` on it has it: uuid-ossp in public.
    await withAdmin((c) => c.query(`CREATE DATABASE "${db}"`));
    await withAdmin((c) => c.query('CREATE EXTENSION "uuid-ossp" SCHEMA public'), db);
    expect((await migrate(opts())).ok).toBe(true);

    const refused = createTenant(opts({ id: 'acme' }));
    await expect(refused).rejects.toThrow(/Extension uuid-ossp is installed in schema public/);
    await expect(refused).rejects.toThrow(relocateCli);
    expect(await query(db, `SELECT 1 FROM pg_namespace WHERE nspname = 'tenant_acme'`)).toEqual([]);

    const dry = await cli('--dry-run');
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`database ${db}:`);
    expect(dry.stdout).toContain('ALTER EXTENSION "uuid-ossp" SET SCHEMA "extensions";');
    expect(await extensionHomes(db)).toEqual([{ extname: 'uuid-ossp', schema: 'public' }]);

    // Off a terminal nothing runs without --yes.
    const unconfirmed = await cli();
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('ALTER EXTENSION "uuid-ossp" SET SCHEMA "extensions";');
    expect(unconfirmed.stderr).toContain('pass --yes');
    expect(await extensionHomes(db)).toEqual([{ extname: 'uuid-ossp', schema: 'public' }]);

    const done = await cli('--yes');
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('ALTER EXTENSION "uuid-ossp" SET SCHEMA "extensions";');
    expect(await extensionHomes(db)).toEqual([{ extname: 'uuid-ossp', schema: 'extensions' }]);

    const again = await cli('--yes', '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ command: 'extensions-relocate', ok: true, statements: 0 });

    const created = await createTenant(opts({ id: 'acme' }));
    expect(created.applied).toEqual(['CreateApiKeys1000']);
    expect(await query(db, `INSERT INTO tenant_acme.api_keys (label) VALUES ('k') RETURNING length(id::text) AS n`)).toEqual([{ n: 36 }]);
    expect(await extensionHomes(db)).toEqual([{ extname: 'uuid-ossp', schema: 'extensions' }]);
  });

  it("pgcrypto in the first tenant's schema after TypeORM's per-schema migration:run: adoption names the command; relocate, then adoption re-runs nothing", async () => {
    const tenants = ['a', 'b', 'c'];
    writeFleet({ discover: { list: tenants } });
    project.writeMigration('global', REGISTRY);
    project.writeMigration('tenant', ACCOUNTS);
    // TypeORM's own runner, one DataSource per tenant schema, as teams script it before Fleet.
    await withAdmin((c) => c.query(`CREATE DATABASE "${db}"`));
    const classes = readdirSync(project.path('tenant')).map((f) => Object.values(require(join(project.path('tenant'), f)))[0] as new () => unknown);
    for (const id of tenants) {
      await withAdmin((c) => c.query(`CREATE SCHEMA tenant_${id}`), db);
      const ds = new DataSource({
        type: 'postgres',
        ...testServer(),
        username: testServer().user,
        database: db,
        schema: `tenant_${id}`,
        migrations: classes,
        extra: { options: `-c search_path=tenant_${id}` },
      });
      await ds.initialize();
      try {
        await ds.runMigrations({ transaction: 'each' });
      } finally {
        await ds.destroy();
      }
    }
    expect(await extensionHomes(db)).toEqual([{ extname: 'pgcrypto', schema: 'tenant_a' }]);
    project.writeMigration('tenant', INVOICES); // what Fleet is brought in for: the next migration

    const stopped = await migrate(opts());
    expect(stopped.ok).toBe(false);
    const global = stopped.results.find((r) => r.tenant === null)!;
    expect(global.failed?.error.message).toContain('Extension pgcrypto is installed in schema tenant_a');
    expect(global.failed?.error.message).toContain(relocateCli);
    expect(stopped.results.filter((r) => r.tenant !== null).map((r) => r.outcome)).toEqual(['not-run', 'not-run', 'not-run']);
    expect(await query(db, `SELECT 1 FROM pg_class WHERE relname = 'invoices'`)).toEqual([]);

    // tenant drop refuses (the extension would go with the schema) and names the same command.
    await expect(dropTenant(opts({ id: 'a', confirm: true }))).rejects.toThrow(`Move its extensions out with \`${relocateCli}\``);

    const dry = await relocateExtensions(opts({ apply: false }));
    expect(dry.databases).toEqual([
      expect.objectContaining({
        database: db,
        statements: ['CREATE SCHEMA IF NOT EXISTS "extensions"', 'ALTER EXTENSION "pgcrypto" SET SCHEMA "extensions"'],
        blocked: [],
      }),
    ]);
    expect(dry.applied).toBe(false);
    expect(await extensionHomes(db)).toEqual([{ extname: 'pgcrypto', schema: 'tenant_a' }]);

    const done = await relocateExtensions(opts({ apply: true }));
    expect(done.applied).toBe(true);
    expect(done.databases[0].statements).toEqual(dry.databases[0].statements);
    expect(await extensionHomes(db)).toEqual([{ extname: 'pgcrypto', schema: 'extensions' }]);
    expect((await relocateExtensions(opts({ apply: true }))).databases.flatMap((d) => d.statements)).toEqual([]);

    const adopted = await migrate(opts());
    expect(adopted.results.filter((r) => r.outcome !== 'changed' && r.tenant !== null).map((r) => [r.target, r.failed?.error.message])).toEqual([]);
    for (const r of adopted.results.filter((x) => x.tenant !== null)) expect(r.applied).toEqual(['CreateInvoices1764000000001']); // CreateAccounts1764000000000 adopted, not re-run
    for (const id of tenants) {
      expect(await query(db, `SELECT name, method FROM tenant_${id}.fleet_migrations ORDER BY name`)).toEqual([
        { name: 'CreateAccounts1764000000000', method: 'adopt' },
        { name: 'CreateInvoices1764000000001', method: 'run' },
      ]);
    }
    // And the first tenant no longer holds something every tenant shares.
    await expect(dropTenant(opts({ id: 'a', confirm: true }))).resolves.toMatchObject({ dropped: 'schema tenant_a' });
    expect(await extensionHomes(db)).toEqual([{ extname: 'pgcrypto', schema: 'extensions' }]);
  });

  it('a migration that only calls uuid_generate_v4() (nothing tells Fleet it needs uuid-ossp): the error says which extension, where, and the command', async () => {
    const config = (extensions: string[]) =>
      project.writeConfig({
        app: 'fx',
        databases: {
          main: {
            migrations: './global',
            createDatabase: true,
            urlEnv: 'FX_MAIN_URL',
            extensions,
            tenants: { strategy: 'schema', migrations: './tenant', discover: { list: ['a'] } },
          },
        },
      });
    config([]);
    project.writeMigration('global', REGISTRY);
    project.writeMigration('tenant', { name: 'CreateTokens1000', up: ['CREATE TABLE tokens (id uuid PRIMARY KEY DEFAULT uuid_generate_v4())'], down: ['DROP TABLE tokens'] });
    await withAdmin((c) => c.query(`CREATE DATABASE "${db}"`));
    await withAdmin((c) => c.query('CREATE EXTENSION "uuid-ossp" SCHEMA public'), db);

    const failed = await migrate(opts());
    const message = String(failed.results.find((r) => r.tenant === 'a')?.failed?.error.message);
    expect(message).toContain('function uuid_generate_v4() does not exist. uuid_generate_v4() is a function of extension uuid-ossp, installed in schema public');
    expect(message).toContain('List "uuid-ossp" in databases.main.extensions of the Fleet config');
    expect(message).toContain(`Move it with \`${relocateCli}\``);

    config(['uuid-ossp']);
    jest.resetModules(); // the rewritten config is a new module
    const moved = await relocateExtensions(opts({ apply: true }));
    expect(moved.databases.map((d) => d.statements)).toEqual([['CREATE SCHEMA IF NOT EXISTS "extensions"', 'ALTER EXTENSION "uuid-ossp" SET SCHEMA "extensions"']]);
    expect((await migrate(opts())).ok).toBe(true);
    expect(await query(db, `INSERT INTO tenant_a.tokens DEFAULT VALUES RETURNING length(id::text) AS n`)).toEqual([{ n: 36 }]);
  });
});
