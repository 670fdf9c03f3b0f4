/**
 * Fleet in someone else's workspace, installed from the packed tarballs as a team would:
 * - a minimal Nx workspace (written here, not this repo's apps) with one TypeORM app: a DataSource,
 *   an entity, two migrations (Table API, and migration:generate style with "public" names);
 * - `nx g @fleet/nx-plugin:init` (what `nx add` runs) writes its fleet.config.ts;
 * - `nx run shop:migrate`, `status`; the configuration generator makes it schema-per-tenant;
 *   a tenant migration; `tenant-create`; then `createTenant()` from the app's compiled script,
 *   which must not leave a TypeScript hook in the app's process;
 * - a plain npm project without Nx: `npx fleet migrate --config fleet.config.ts`.
 * Everything installs from npm's cache (`npm ci` of this repo fills it), so no network is needed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, databaseUrl, dropDatabase, testServer, withAdmin } from '@fleet/core/testing';
import { ADD_NICKNAME, CREATE_ORDERS, CREATE_USERS, ENTITY, TSCONFIG } from './matrix/fixture';
import { ok, run, write } from './matrix/process';
import { packTarballs } from './matrix/tarballs';
import { WORKSPACE_ROOT } from './run-nx';

const rootPackage = JSON.parse(readFileSync(join(WORKSPACE_ROOT, 'package.json'), 'utf8'));
const pinned = (name: string): string => rootPackage.dependencies[name] ?? rootPackage.devDependencies[name];

const ONBOARD = `import { createTenant } from '@fleet/core';

/** What the app's sign-up handler does: a new tenant, through its migrations. */
async function main(): Promise<void> {
  const result = await createTenant({ config: 'apps/shop/fleet.config.ts', id: process.argv[2] });
  const hooks = Object.keys(require.extensions);
  process.stdout.write(JSON.stringify({ tenant: result.tenant, location: result.location, applied: result.applied, hooks }) + '\\n');
}

main().catch((e) => {
  process.stderr.write(String(e?.stack ?? e) + '\\n');
  process.exit(1);
});
`;

describe('Fleet installed into a fresh workspace from its tarballs', () => {
  const s = testServer();
  const pgEnv = { PGHOST: s.host, PGPORT: String(s.port), PGUSER: s.user, ...(s.password ? { PGPASSWORD: s.password } : {}) };
  let database: string;
  let plainDatabase: string;
  let dir: string;
  let tarballs: { core: string; plugin: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fleet-fresh-'));
    tarballs = await packTarballs(join(dir, 'packages'));
    database = await createDatabase('fleet_fresh');
    plainDatabase = await createDatabase('fleet_fresh_plain');
  }, 240_000);

  afterAll(async () => {
    if (database) await dropDatabase(database);
    if (plainDatabase) await dropDatabase(plainDatabase);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('nx: install, init, migrate, status, configuration, tenant-create, createTenant() from compiled code', async () => {
    const ws = join(dir, 'workspace');
    write(ws, {
      'package.json': JSON.stringify(
        {
          name: 'fresh-workspace',
          private: true,
          dependencies: { pg: pinned('pg'), 'reflect-metadata': pinned('reflect-metadata'), typeorm: pinned('typeorm') },
          devDependencies: {
            '@fleet/core': `file:${tarballs.core}`,
            '@fleet/nx-plugin': `file:${tarballs.plugin}`,
            nx: pinned('nx'),
            '@nx/devkit': pinned('@nx/devkit'),
            typescript: pinned('typescript'),
            '@types/node': pinned('@types/node'),
          },
        },
        null,
        2,
      ),
      'nx.json': JSON.stringify({ analytics: false }),
      'tsconfig.base.json': TSCONFIG,
      'apps/shop/project.json': JSON.stringify({ name: 'shop', root: 'apps/shop', sourceRoot: 'apps/shop/src', projectType: 'application', targets: {} }),
      'apps/shop/tsconfig.app.json': JSON.stringify({
        extends: '../../tsconfig.base.json',
        compilerOptions: { outDir: '../../dist/apps/shop', rootDir: 'src' },
        include: ['src/onboard.ts'],
      }),
      'apps/shop/src/user.entity.ts': ENTITY,
      'apps/shop/src/data-source.ts': `import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { User } from './user.entity';

export const AppDataSource = new DataSource({
  type: 'postgres',
  url: process.env.SHOP_DATABASE_URL,
  entities: [User],
  migrations: [__dirname + '/migrations/*{.ts,.js}'],
});
`,
      'apps/shop/src/migrations/1700000000000-CreateUsers.ts': CREATE_USERS,
      'apps/shop/src/migrations/1700000000001-AddNickname.ts': ADD_NICKNAME,
      'apps/shop/src/onboard.ts': ONBOARD,
    });
    await ok('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], ws);
    const env = { SHOP_DATABASE_URL: databaseUrl(database) };
    const nx = (...args: string[]) => ok(process.execPath, [join(ws, 'node_modules/nx/dist/bin/nx.js'), ...args], ws, env);

    expect(await nx('g', '@fleet/nx-plugin:init')).toContain('wrote apps/shop/fleet.config.ts');
    expect(JSON.parse(readFileSync(join(ws, 'nx.json'), 'utf8')).plugins).toEqual(['@fleet/nx-plugin']);
    const config = readFileSync(join(ws, 'apps/shop/fleet.config.ts'), 'utf8');
    expect(config).toContain("urlEnv: 'SHOP_DATABASE_URL'");
    expect(config).toContain("migrations: './src/migrations'");

    const project = JSON.parse(await ok(process.execPath, [join(ws, 'node_modules/nx/dist/bin/nx.js'), 'show', 'project', 'shop', '--json'], ws));
    expect(Object.keys(project.targets)).toEqual(expect.arrayContaining(['migrate', 'status', 'revert', 'tenant-create']));

    const migrated = await nx('run', 'shop:migrate');
    expect(migrated).toContain('applied CreateUsers1700000000000');
    expect(migrated).toContain('applied AddNickname1700000000001');
    expect(migrated).not.toMatch(/warning/i);
    expect(await nx('run', 'shop:status')).toMatch(/AT-HEAD\s+shop\/main\s+version AddNickname1700000000001/);

    await nx('g', '@fleet/nx-plugin:configuration', 'shop', '--tenancy', 'schema');
    await nx('g', '@fleet/nx-plugin:migration', 'CreateOrders', '--project', 'shop', '--track', 'tenant', '--timestamp', '1700000000100');
    writeFileSync(join(ws, 'apps/shop/src/tenant-migrations/1700000000100-CreateOrders.ts'), CREATE_ORDERS('1700000000100'));
    expect(await nx('run', 'shop:migrate')).toMatch(/applied CreateTenantRegistry\d+/);
    // The first migrate installed uuid-ossp where the one-schema app saw it: public, which no
    // tenant sees. tenant-create stops before creating anything and names the command that moves
    // it; the command runs as printed (its Nx form), dry run first, then confirmed.
    const refused = await run(process.execPath, [join(ws, 'node_modules/nx/dist/bin/nx.js'), 'run', 'shop:tenant-create', '--id', 'acme'], ws, env);
    expect(refused.code).not.toBe(0);
    const relocate = /\(Nx: `(nx run shop:extensions-relocate)`\)/.exec(refused.out);
    expect(relocate?.[1]).toBe('nx run shop:extensions-relocate');
    expect(await nx('run', 'shop:extensions-relocate', '--dry-run')).toContain('ALTER EXTENSION "uuid-ossp" SET SCHEMA "extensions"');
    await nx('run', 'shop:extensions-relocate', '--yes');
    expect(await nx('run', 'shop:tenant-create', '--id', 'acme')).toContain('tenant acme: created in tenant_acme');

    // The app's own compiled code calls the API: no Nx, no TypeScript hook left in its process.
    await ok(process.execPath, [join(ws, 'node_modules/typescript/bin/tsc'), '-p', 'apps/shop/tsconfig.app.json'], ws);
    const onboarded = JSON.parse(await ok(process.execPath, ['dist/apps/shop/onboard.js', 'globex'], ws, env));
    expect(onboarded).toEqual({ tenant: 'globex', location: 'tenant_globex', applied: ['CreateOrders1700000000100'], hooks: ['.js', '.json', '.node'] });

    const rows = await withAdmin(
      (c) => c.query(`SELECT t.id, to_regclass(format('%I.orders', 'tenant_' || t.id)) IS NOT NULL AS has_orders FROM public.tenants t ORDER BY t.id`),
      database,
    );
    expect(rows.rows).toEqual([
      { id: 'acme', has_orders: true },
      { id: 'globex', has_orders: true },
    ]);
    const status = await nx('run', 'shop:status');
    expect(status).toMatch(/status: 3 target\(s\): 3 at head/);
  }, 600_000);

  it('a plain npm project without Nx: npx fleet migrate --config fleet.config.ts', async () => {
    const app = join(dir, 'plain');
    write(app, {
      'package.json': JSON.stringify({
        name: 'plain-app',
        private: true,
        dependencies: { pg: pinned('pg'), 'reflect-metadata': pinned('reflect-metadata'), typeorm: pinned('typeorm'), '@fleet/core': `file:${tarballs.core}` },
        devDependencies: { typescript: pinned('typescript') },
      }),
      'tsconfig.json': TSCONFIG,
      'fleet.config.ts': `import { defineFleetConfig } from '@fleet/core';

export default defineFleetConfig({
  app: 'plain',
  databases: { main: { urlEnv: 'DATABASE_URL', dataSource: './src/data-source.ts', migrations: './src/migrations' } },
});
`,
      'src/user.entity.ts': ENTITY,
      'src/data-source.ts': `import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { User } from './user.entity';

export default new DataSource({ type: 'postgres', url: process.env.DATABASE_URL, entities: [User], migrations: ['src/migrations/*.ts'] });
`,
      'src/migrations/1700000000000-CreateUsers.ts': CREATE_USERS,
      'src/migrations/1700000000001-AddNickname.ts': ADD_NICKNAME,
    });
    await ok('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], app);
    const env = { ...pgEnv, DATABASE_URL: databaseUrl(plainDatabase) };
    const fleet = (...args: string[]) => run('npx', ['--no-install', 'fleet', ...args], app, env);
    const migrated = await fleet('migrate', '--config', 'fleet.config.ts');
    expect(migrated.out).toContain('applied AddNickname1700000000001');
    expect(migrated.code).toBe(0);
    const status = await fleet('status', '--config', 'fleet.config.ts', '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).summary).toMatchObject({ 'at-head': 1, pending: 0 });
    const help = await fleet('migrate', '--help');
    expect(help.out).toContain('--dry-run');
  }, 300_000);
});
