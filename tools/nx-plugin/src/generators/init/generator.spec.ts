import { addProjectConfiguration, readNxJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { initGenerator } from './generator';
import { findDataSources } from './lib/find-data-sources';
import { readFleetConfig } from '../migration/lib/read-fleet-config';
import { resolveConnection } from '@fleet/core/db/resolve-connection';

/** A TypeORM app as people write them: the options in a const, url from the environment, a glob. */
function addTypeormApp(tree: Tree, name: string, dataSource: string, files: Record<string, string> = {}): void {
  addProjectConfiguration(tree, name, { root: `apps/${name}`, sourceRoot: `apps/${name}/src`, projectType: 'application', targets: {} });
  tree.write(`apps/${name}/src/data-source.ts`, dataSource);
  tree.write(`apps/${name}/src/migrations/1700000000000-CreateUsers.ts`, 'export class CreateUsers1700000000000 {}\n');
  for (const [path, content] of Object.entries(files)) tree.write(`apps/${name}/${path}`, content);
}

describe('init generator', () => {
  let tree: Tree;
  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
  });

  it('registers the plugin once, ignores .fleet, and writes a config from the DataSource', async () => {
    addTypeormApp(
      tree,
      'shop',
      `import 'reflect-metadata';
import { DataSource, DataSourceOptions } from 'typeorm';
import { User } from './user.entity';
export const options: DataSourceOptions = {
  type: 'postgres',
  url: process.env.SHOP_DB_URL,
  entities: [User],
  migrations: [__dirname + '/migrations/*{.ts,.js}'],
  migrationsTableName: 'typeorm_migrations',
};
export default new DataSource(options);
`,
    );
    await initGenerator(tree);
    await initGenerator(tree); // twice: nothing more
    expect(readNxJson(tree)?.plugins?.filter((p) => p === '@fleet/nx-plugin')).toHaveLength(1);
    expect(tree.read('.gitignore', 'utf-8')?.match(/^\.fleet$/gm)).toHaveLength(1);
    const config = readFleetConfig(tree, 'apps/shop/fleet.config.ts');
    expect(config.app).toBe('shop');
    expect(config.databases).toHaveLength(1);
    expect(config.databases[0]).toMatchObject({
      key: 'main',
      urlEnv: 'SHOP_DB_URL',
      migrationsDir: 'apps/shop/src/migrations',
      dataSource: 'apps/shop/src/data-source.ts',
      adoptTypeormTable: 'typeorm_migrations',
    });
  });

  it('reads the usual ways of naming migrations', async () => {
    const cases: Array<[string, string]> = [
      [`'apps/shop/src/migrations/*.ts'`, 'workspace-relative glob'],
      [`'src/migrations/*.ts'`, 'project-relative glob'],
      ['`${__dirname}/migrations/*.{ts,js}`', 'template with __dirname'],
      [`join(__dirname, 'migrations', '*.ts')`, 'path.join'],
      ['CreateUsers1700000000000', 'an imported class'],
    ];
    for (const [entry, label] of cases) {
      const t = createTreeWithEmptyWorkspace();
      addTypeormApp(
        t,
        'shop',
        `import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { CreateUsers1700000000000 } from './migrations/1700000000000-CreateUsers';
export const AppDataSource = new DataSource({ type: 'postgres', database: 'shop', migrations: [${entry}] });
`,
      );
      const [found] = findDataSources(t, 'apps/shop');
      expect({ label, dir: found.migrationsDir, database: found.database }).toEqual({ label, dir: 'apps/shop/src/migrations', database: 'shop' });
    }
  });

  it('names several databases by their files, and leaves an existing config alone', async () => {
    addTypeormApp(
      tree,
      'crm',
      `import { DataSource } from 'typeorm';\nexport default new DataSource({ type: 'postgres', url: process.env['CRM_URL'], migrations: ['src/migrations/*.ts'] });\n`,
      {
        'src/analytics.data-source.ts': `import { DataSource } from 'typeorm';\nexport default new DataSource({ type: 'postgres', url: process.env.ANALYTICS_URL!, migrations: ['src/analytics-migrations/*.ts'] });\n`,
        'src/analytics-migrations/1700000000001-Events.ts': 'export class Events1700000000001 {}\n',
      },
    );
    addProjectConfiguration(tree, 'web', { root: 'apps/web', projectType: 'application', targets: {} });
    tree.write('apps/web/fleet.config.ts', '// mine\n');
    await initGenerator(tree, { targetPrefix: 'db-' });
    const config = readFleetConfig(tree, 'apps/crm/fleet.config.ts');
    expect(config.databases.map((d) => [d.key, d.urlEnv, d.migrationsDir]).sort()).toEqual([
      ['analytics', 'ANALYTICS_URL', 'apps/crm/src/analytics-migrations'],
      ['main', 'CRM_URL', 'apps/crm/src/migrations'],
    ]);
    expect(tree.read('apps/web/fleet.config.ts', 'utf-8')).toBe('// mine\n');
    expect(readNxJson(tree)?.plugins).toContainEqual({ plugin: '@fleet/nx-plugin', options: { targetPrefix: 'db-' } });
  });

  it('writes no config for a DataSource without migrations, and refuses a bad prefix', async () => {
    addTypeormApp(tree, 'api', `import { DataSource } from 'typeorm';\nexport default new DataSource({ type: 'postgres', synchronize: true });\n`);
    await initGenerator(tree);
    expect(tree.exists('apps/api/fleet.config.ts')).toBe(false);
    await expect(initGenerator(tree, { targetPrefix: 'db migrate' })).rejects.toThrow(/targetPrefix/);
    await expect(initGenerator(tree, { project: 'nope' })).rejects.toThrow(/No project named nope/);
  });
});

describe('init in a workspace whose projects are scoped and already lint', () => {
  it('takes `api` or `@acme/api`, and names Fleet`s lint fleet-lint where the project has a lint target', async () => {
    const tree = createTreeWithEmptyWorkspace();
    addProjectConfiguration(tree, '@acme/api', {
      root: 'apps/api',
      projectType: 'application',
      targets: { lint: { executor: '@nx/eslint:lint' }, build: { executor: 'nx:run-commands' } },
    });
    tree.write(
      'apps/api/src/data-source.ts',
      `import { DataSource } from 'typeorm';\nexport default new DataSource({ type: 'postgres', database: 'api', migrations: ['apps/api/src/migrations/*.ts'] });\n`,
    );
    tree.write('apps/api/src/migrations/1700000000000-CreateUsers.ts', 'export class CreateUsers1700000000000 {}\n');
    await expect(initGenerator(tree, { project: 'nope' })).rejects.toThrow(/No project named nope\. Projects: @acme\/api/);
    await initGenerator(tree, { project: 'api' });
    expect(readFleetConfig(tree, 'apps/api/fleet.config.ts').app).toBe('api');
    expect(readNxJson(tree)?.plugins).toEqual([{ plugin: '@fleet/nx-plugin', options: { targetNames: { lint: 'fleet-lint' } } }]);
    await initGenerator(tree, { project: '@acme/api' }); // the full name too, and nothing changes
    expect(readNxJson(tree)?.plugins).toEqual([{ plugin: '@fleet/nx-plugin', options: { targetNames: { lint: 'fleet-lint' } } }]);
  });
});

describe('init reads every DataSource shape the TypeORM docs show, and names the database the app uses', () => {
  /** The DataSource `options` (an object literal's body, or a whole module when `module` is set) of app `billing`. */
  async function configFor(options: string, module?: string) {
    const tree = createTreeWithEmptyWorkspace();
    addTypeormApp(
      tree,
      'billing',
      module ??
        `import { join } from 'node:path';
import { DataSource } from 'typeorm';
export default new DataSource({
  type: 'postgres',
  ${options}
  migrations: [join(__dirname, 'migrations', '*.ts')],
});
`,
    );
    await initGenerator(tree);
    const source = tree.read('apps/billing/fleet.config.ts', 'utf-8') as string;
    const config = readFleetConfig(tree, 'apps/billing/fleet.config.ts');
    const db = config.databases[0];
    /** The database Fleet connects to, as the app does, with PGHOST set and `env` in the environment. */
    const resolved = (env: Record<string, string> = {}) => {
      const source = resolveConnection(db, { PGHOST: 'db.internal', ...env });
      return source.kind === 'embedded' ? source.database : source.spec.database;
    };
    return { source, db, resolved };
  }

  it('database from process.env.X: Fleet reads the same variable, and never guesses <app>_<key>', async () => {
    const { db, resolved } = await configFor(`database: process.env.BILLING_DB,`);
    expect(db.databaseEnv).toEqual({ variable: 'BILLING_DB', fallback: null });
    expect(resolved({ BILLING_DB: 'billing_eu' })).toBe('billing_eu');
    expect(() => resolved()).toThrow(/BILLING_DB is not set/);
  });

  it.each([
    [`database: process.env.BILLING_DB ?? 'billing',`],
    [`database: process.env['BILLING_DB'] || 'billing',`],
    [`database: (process.env.BILLING_DB as string) ?? \`billing\`,`],
  ])('database with a fallback (%s): the same variable, the same fallback', async (options) => {
    const { db, resolved } = await configFor(options);
    expect(db.databaseEnv).toEqual({ variable: 'BILLING_DB', fallback: 'billing' });
    expect(resolved()).toBe('billing');
    expect(resolved({ BILLING_DB: 'billing_eu' })).toBe('billing_eu');
  });

  it('host/port/username/password/database as literals: the database, and a comment on the connection', async () => {
    const { source, db, resolved } = await configFor(`host: 'localhost', port: 5432, username: 'app', password: 'secret', database: 'billing',`);
    expect(db.database).toBe('billing');
    expect(resolved()).toBe('billing');
    expect(source).toContain(`// The app connects with host localhost, port 5432, username app, password in the code.\n      // Fleet reads BILLING_MAIN_DATABASE_URL`);
    expect(source).toContain('run it with PGHOST=localhost PGPORT=5432 PGUSER=app PGPASSWORD=...');
    expect(source).not.toContain('secret');
  });

  it('host/port/username/password/database from the environment', async () => {
    const { source, db, resolved } = await configFor(
      `host: process.env.DB_HOST, port: Number(process.env.DB_PORT ?? 5432), username: process.env.DB_USER, password: process.env.DB_PASSWORD!, database: process.env.DB_NAME ?? 'billing',`,
    );
    expect(db.databaseEnv).toEqual({ variable: 'DB_NAME', fallback: 'billing' });
    expect(resolved({ DB_NAME: 'ledger' })).toBe('ledger');
    expect(source).toContain('host $DB_HOST, port $DB_PORT ?? 5432, username $DB_USER, password $DB_PASSWORD.');
    expect(source).toContain('PGHOST=$DB_HOST PGPORT=${DB_PORT:-5432} PGUSER=$DB_USER PGPASSWORD=$DB_PASSWORD.');
  });

  it.each([
    [`url: process.env.BILLING_URL,`, 'BILLING_URL', 'billing_main'],
    [`url: process.env.BILLING_URL ?? 'postgres://app@localhost:5432/billing?sslmode=disable',`, 'BILLING_URL', 'billing'],
    [`url: 'postgres://app:pw@localhost:5432/billing',`, 'BILLING_MAIN_DATABASE_URL', 'billing'],
  ])('url (%s)', async (options, urlEnv, database) => {
    const { db, resolved } = await configFor(options);
    expect(db.urlEnv).toBe(urlEnv);
    expect(resolved()).toBe(database);
    expect(resolveConnection(db, { [urlEnv]: 'postgres://u@h/from_url' })).toMatchObject({ kind: 'url', spec: { database: 'from_url' } });
  });

  it('schema and extra', async () => {
    const { db } = await configFor(`database: 'billing', schema: 'ledger', extra: { max: 5, ssl: { rejectUnauthorized: false }, options: '-c statement_timeout=5000' },`);
    expect(db).toMatchObject({ database: 'billing', schema: 'ledger' });
  });

  it('options spread from a const object, and shorthand properties, later ones winning', async () => {
    const { db, resolved } = await configFor(
      '',
      `import { DataSource, DataSourceOptions } from 'typeorm';
const database = process.env.BILLING_DB ?? 'billing';
const base = { type: 'postgres', host: process.env.DB_HOST, database: 'overridden', schema: 'ledger' } as const;
export const options: DataSourceOptions = { ...base, database, migrations: ['apps/billing/src/migrations/*.ts'] };
export default new DataSource(options);
`,
    );
    expect(db).toMatchObject({ database: 'billing', databaseEnv: { variable: 'BILLING_DB', fallback: 'billing' }, schema: 'ledger' });
    expect(resolved({ BILLING_DB: 'billing_eu' })).toBe('billing_eu');
  });
});
