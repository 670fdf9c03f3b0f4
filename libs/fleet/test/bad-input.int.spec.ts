/**
 * Bad input is refused before any change, with a message that names the fix and the usage exit
 * code (2): a tenant template that can name a schema that is not a tenant's, a registry column
 * that does not exist, a config or migration file that does not parse. Through the CLI, as a user
 * types it.
 */
import { query, runFleet, tenantFleetConfig, useFixture, withAdmin } from '../src/testing';

const REGISTRY = { name: 'CreateTenants1000', up: [`CREATE TABLE tenants (id text PRIMARY KEY, plan text NOT NULL DEFAULT 'free')`] };
const USERS = { name: 'CreateUsers1000', up: ['CREATE TABLE users (id serial PRIMARY KEY)'] };

// Each test spawns the CLI two to four times: room for a loaded machine.
jest.setTimeout(90_000);

describe('bad input is refused before any change (exit 2)', () => {
  const fx = useFixture('bad_input');
  const config = () => fx.project.path('fleet.config.ts');
  const schemas = async () =>
    (await query<{ n: string }>(fx.db, `SELECT nspname AS n FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1`)).map((r) => r.n);
  const databaseExists = async () => (await withAdmin((c) => c.query('SELECT 1 FROM pg_database WHERE datname = $1', [fx.db]))).rowCount === 1;

  beforeEach(() => {
    fx.project.writeMigration('global', REGISTRY);
    fx.project.writeMigration('tenant', USERS);
  });

  it("refuses schemaTemplate '{id}' (verify listed public and pg_catalog as orphans; tenant create extensions landed in the shared schema)", async () => {
    fx.project.writeConfig(tenantFleetConfig({}, { schemaTemplate: '{id}' }));
    const created = await runFleet(['tenant', 'create', 'extensions', '--config', config()], fx.env);
    expect(created.code).toBe(2);
    expect(created.stderr).toMatch(/tenants\.schemaTemplate: must have a fixed part around \{id\} \(e\.g\. "tenant_\{id\}"\)/);
    const verified = await runFleet(['verify', '--config', config()], fx.env);
    expect(verified.code).toBe(2);
    expect(verified.stdout).not.toMatch(/ORPHAN/);
    expect(await databaseExists()).toBe(false); // nothing was created, not even the database
  });

  it('refuses --attr with a column the registry lacks: no stack trace, no schema, no row', async () => {
    fx.project.writeConfig(tenantFleetConfig());
    expect((await runFleet(['migrate', '--config', config()], fx.env)).code).toBe(0);
    const before = await schemas();
    const result = await runFleet(['tenant', 'create', 'acme', '--attr', 'nope=1', '--config', config()], fx.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/The tenant registry public\.tenants has no column nope \(its columns: id, plan\)\. Nothing was created/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await schemas()).toEqual(before);
    expect(before).not.toContain('tenant_acme');
    expect(await query(fx.db, 'SELECT id FROM tenants')).toEqual([]);
    // A known column works.
    const ok = await runFleet(['tenant', 'create', 'acme', '--attr', 'plan=pro', '--config', config()], fx.env);
    expect(ok.code).toBe(0);
    expect(await query(fx.db, 'SELECT id, plan FROM tenants')).toEqual([{ id: 'acme', plan: 'pro' }]);
  });

  it('refuses --attr on the first tenant create too, when the global track creates the registry in the same run', async () => {
    fx.project.writeConfig(tenantFleetConfig());
    const result = await runFleet(['tenant', 'create', 'acme', '--attr', 'nope=1', '--config', config()], fx.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/has no column nope/);
    expect(await schemas()).not.toContain('tenant_acme');
  });

  it('refuses a migration file with a syntax error among good ones: nothing applied, the file and line named', async () => {
    fx.project.writeConfig(tenantFleetConfig());
    fx.project.writeMigration('global', { name: 'AddAudit2000', up: ['CREATE TABLE audit (id int)'] });
    // A broken tenant migration: the global track (all good) must not run either.
    fx.project.writeFile(
      'tenant/3000-Broken.ts',
      `export class Broken3000 {\n  async up(q: any) {\n    await q.query('CREATE TABLE broken (id int)');\n    const x = ;\n  }\n  async down() {}\n}\n`,
    );
    const result = await runFleet(['migrate', '--config', config()], fx.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Migration file \S*tenant\/3000-Broken\.ts failed to load/);
    expect(result.stderr).toMatch(/3000-Broken\.ts:4:/);
    expect(await databaseExists()).toBe(false);
  });

  it('refuses a migration that parses but does not load (a duplicate declaration) and a config that does not parse', async () => {
    fx.project.writeConfig(tenantFleetConfig());
    fx.project.writeFile('global/2000-Dup.ts', `export class Dup2000 {\n  async up() {}\n  async down() {}\n}\nlet a = 1;\nlet a = 2;\n`);
    const dup = await runFleet(['migrate', '--config', config()], fx.env);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/Migration file \S*global\/2000-Dup\.ts failed to load: Identifier .a. has already been declared \(\S*global\/2000-Dup\.ts:6: `let a = 2;`\)/);
    expect(await databaseExists()).toBe(false);

    fx.project.writeFile('fleet.config.ts', `export default {\n  app: 'fx',\n  databases: { main: { migrations: './global' }\n};\n`);
    const broken = await runFleet(['migrate', '--config', config()], fx.env);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/Fleet config \S*fleet\.config\.ts failed to load/);
    expect(broken.stderr).toMatch(/fleet\.config\.ts:4:/);
    expect(await databaseExists()).toBe(false);
  });

  it('prints a crafted registry id escaped: no fake FAILED line on the terminal', async () => {
    fx.project.writeConfig(tenantFleetConfig());
    expect((await runFleet(['migrate', '--config', config()], fx.env)).code).toBe(0);
    await query(fx.db, 'INSERT INTO tenants (id) VALUES ($1), ($2)', ['acme', 'x\nFAILED  fx/main/globex  (none) -> Evil1  at Evil1: disk full']);
    const run = await runFleet(['migrate', '--config', config()], fx.env);
    const lines = `${run.stdout}\n${run.stderr}`.split('\n');
    expect(lines.filter((l) => l.startsWith('FAILED  fx/main/globex'))).toEqual([]);
    expect(run.stdout).toContain('fx/main/x\\nFAILED  fx/main/globex');
    expect(run.stdout).toMatch(/^ok {6}fx\/main\/acme/m);
  });
});
