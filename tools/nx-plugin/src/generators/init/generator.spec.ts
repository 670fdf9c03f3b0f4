import { addProjectConfiguration, readNxJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { initGenerator } from './generator';
import { findDataSources } from './lib/find-data-sources';
import { readFleetConfig } from '../migration/lib/read-fleet-config';

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
