import { addProjectConfiguration, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { configurationGenerator } from './generator';
import { readFleetConfig } from '../migration/lib/read-fleet-config';

const CONFIG = `import { defineFleetConfig } from '@fleet/core';

// hand-written comment, kept
export default defineFleetConfig({
  app: 'shop',
  databases: {
    main: {
      dataSource: './src/data-source.ts',
      migrations: './src/migrations',
      urlEnv: 'SHOP_DB_URL'
    },
  },
});
`;

describe('configuration generator', () => {
  let tree: Tree;
  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
    addProjectConfiguration(tree, 'shop', { root: 'apps/shop', projectType: 'application', targets: {} });
    tree.write('apps/shop/fleet.config.ts', CONFIG);
    tree.write('apps/shop/src/migrations/1700000000000-CreateUsers.ts', 'export class CreateUsers1700000000000 {}\n');
  });

  it('schema-per-tenant: a registry migration in the global track, a tenant track, discovery from the registry', async () => {
    await configurationGenerator(tree, { project: 'shop', tenancy: 'schema' });
    const source = tree.read('apps/shop/fleet.config.ts', 'utf-8') as string;
    expect(source).toContain('// hand-written comment, kept');
    const db = readFleetConfig(tree, 'apps/shop/fleet.config.ts').databases[0];
    expect(db.urlEnv).toBe('SHOP_DB_URL');
    expect(db.tenants).toMatchObject({
      strategy: 'schema',
      schemaTemplate: 'tenant_{id}',
      migrationsDir: 'apps/shop/src/tenant-migrations',
      discover: { sql: 'SELECT id FROM "public"."tenants" ORDER BY id' },
      registry: { table: 'tenants' },
    });
    expect(tree.exists('apps/shop/src/tenant-migrations/.gitkeep')).toBe(true);
    const registry = tree.children('apps/shop/src/migrations').find((f) => f.endsWith('-CreateTenantRegistry.ts'));
    expect(tree.read(`apps/shop/src/migrations/${registry}`, 'utf-8')).toContain('CREATE TABLE "public"."tenants"');
    await expect(configurationGenerator(tree, { project: 'shop', tenancy: 'sharded' })).rejects.toThrow(/already multi-tenant \(schema\)/);
  });

  it('DB-per-tenant and sharded', async () => {
    await configurationGenerator(tree, { project: 'shop', tenancy: 'database', registryTable: 'customers' });
    expect(readFleetConfig(tree, 'apps/shop/fleet.config.ts').databases[0].tenants).toMatchObject({
      strategy: 'database',
      databaseTemplate: 'shop_main_{id}',
      registry: { table: 'customers' },
    });
    tree.write('apps/shop/fleet.config.ts', CONFIG);
    await configurationGenerator(tree, { project: 'shop', tenancy: 'sharded', shards: 3 });
    expect(readFleetConfig(tree, 'apps/shop/fleet.config.ts').databases[0].shards).toEqual(['shop_main_shard_0', 'shop_main_shard_1', 'shop_main_shard_2']);
  });

  it('refuses what it cannot do, without writing', async () => {
    await expect(configurationGenerator(tree, { project: 'shop', tenancy: 'schema', database: 'nope' })).rejects.toThrow(/no database "nope"/);
    await expect(configurationGenerator(tree, { project: 'shop', tenancy: 'sharded', shards: 0 })).rejects.toThrow(/--shards/);
    await expect(configurationGenerator(tree, { project: 'shop', tenancy: 'schema', registryTable: 'x; drop' })).rejects.toThrow(/registryTable/);
    await expect(configurationGenerator(tree, { project: 'shop', tenancy: 'pool' as never })).rejects.toThrow(/--tenancy/);
    expect(tree.read('apps/shop/fleet.config.ts', 'utf-8')).toBe(CONFIG);
  });

  it('edits the chosen database at its exact place, whatever precedes it (non-ASCII comments, other parses)', async () => {
    const config = `import { defineFleetConfig } from '@fleet/core';

// Données clients — façade ☕ 𝄞 (kept as written)
export default defineFleetConfig({
  app: 'shop',
  databases: {
    /* « audit » first */ audit: { migrations: './src/audit-migrations', database: 'shop_audit' },
    main: {
      migrations: './src/migrations', // é
      urlEnv: 'SHOP_DB_URL'
    },
  },
});
`;
    tree.write('apps/shop/fleet.config.ts', config);
    tree.write('apps/shop/src/audit-migrations/.gitkeep', '');
    // Parses of other files first: positions must not depend on them.
    readFleetConfig(tree, 'apps/shop/fleet.config.ts');
    await configurationGenerator(tree, { project: 'shop', tenancy: 'sharded', database: 'audit', shards: 2 });
    tree.write('apps/shop/fleet.config.ts', (tree.read('apps/shop/fleet.config.ts', 'utf-8') as string).replace('shards: 2,', 'shards: 2'));
    await configurationGenerator(tree, { project: 'shop', tenancy: 'sharded', database: 'main', shards: 3 });
    expect(tree.read('apps/shop/fleet.config.ts', 'utf-8')).toBe(`import { defineFleetConfig } from '@fleet/core';

// Données clients — façade ☕ 𝄞 (kept as written)
export default defineFleetConfig({
  app: 'shop',
  databases: {
    /* « audit » first */ audit: { migrations: './src/audit-migrations', database: 'shop_audit',
      shards: 2
    },
    main: {
      migrations: './src/migrations', // é
      urlEnv: 'SHOP_DB_URL',
      shards: 3,
    },
  },
});
`);
    const dbs = readFleetConfig(tree, 'apps/shop/fleet.config.ts').databases;
    expect(dbs.map((d) => [d.key, d.shards])).toEqual([
      ['audit', ['shop_audit_shard_0', 'shop_audit_shard_1']],
      ['main', ['shop_main_shard_0', 'shop_main_shard_1', 'shop_main_shard_2']],
    ]);
  });
});
