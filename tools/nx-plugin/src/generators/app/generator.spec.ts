import { readProjectConfiguration, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { appGenerator } from './generator';
import { readFleetConfig } from '../migration/lib/read-fleet-config';

describe('app generator', () => {
  let tree: Tree;
  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
  });

  it('creates a project with a Fleet config, a data source and a migrations directory', async () => {
    await appGenerator(tree, { name: 'shop' });
    expect(readProjectConfiguration(tree, 'shop').root).toBe('apps/shop');
    const config = readFleetConfig(tree, 'apps/shop/fleet.config.ts');
    expect(config.app).toBe('shop');
    expect(config.databases[0]).toMatchObject({
      key: 'main',
      database: 'shop_main',
      createDatabase: true,
      urlEnv: 'SHOP_MAIN_DATABASE_URL',
      migrationsDir: 'apps/shop/src/databases/main/migrations',
    });
    expect(tree.exists('apps/shop/src/databases/main/migrations/.gitkeep')).toBe(true);
    expect(tree.read('apps/shop/src/databases/main/data-source.ts', 'utf-8')).toContain('process.env.SHOP_MAIN_DATABASE_URL');
  });

  it('creates a schema-per-tenant app with a registry and a tenant track', async () => {
    await appGenerator(tree, { name: 'crm', tenants: true });
    const db = readFleetConfig(tree, 'apps/crm/fleet.config.ts').databases[0];
    expect(db.tenants).toMatchObject({
      strategy: 'schema',
      migrationsDir: 'apps/crm/src/databases/main/migrations/tenant',
      registry: { table: 'tenants', schema: 'public', idColumn: 'id' },
    });
    expect(tree.children('apps/crm/src/databases/main/migrations/global')[0]).toMatch(/^\d+-CreateTenants\.ts$/);
  });

  it('refuses bad names and an existing folder', async () => {
    await expect(appGenerator(tree, { name: 'Shop' })).rejects.toThrow(/lower-case/);
    await appGenerator(tree, { name: 'shop' });
    await expect(appGenerator(tree, { name: 'shop' })).rejects.toThrow(/exists already/);
  });
});
