import { addProjectConfiguration, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { migrationGenerator } from './generator';

const CONFIG = `import { defineFleetConfig } from '@fleet/core';
export default defineFleetConfig({
  app: 'shop',
  databases: {
    users: {
      migrations: './src/users/global',
      tenants: { strategy: 'schema', migrations: './src/users/tenant', discover: { sql: 'SELECT id FROM tenants' } },
    },
    audit: { migrations: './src/audit' },
  },
});
`;

describe('migration generator', () => {
  let tree: Tree;
  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
    addProjectConfiguration(tree, 'shop', { root: 'apps/shop' });
    tree.write('apps/shop/fleet.config.ts', CONFIG);
  });

  it('writes a timestamped TypeORM migration into the database and track directory', async () => {
    await migrationGenerator(tree, { project: 'shop', name: 'AddNickname', database: 'users', track: 'tenant', timestamp: 1765000000000 });
    const file = 'apps/shop/src/users/tenant/1765000000000-AddNickname.ts';
    expect(tree.exists(file)).toBe(true);
    const source = tree.read(file, 'utf-8')!;
    expect(source).toContain('export class AddNickname1765000000000 implements MigrationInterface');
    expect(source).toContain('shop/users, tenant track');
    expect(source.match(/^import .*$/gm)).toEqual(["import { MigrationInterface, QueryRunner } from 'typeorm';"]); // frozen in time: no entity imports
  });

  it('uses the global track by default', async () => {
    await migrationGenerator(tree, { project: 'shop', name: 'AuditIndex', database: 'audit', timestamp: 1765000000001 });
    expect(tree.exists('apps/shop/src/audit/1765000000001-AuditIndex.ts')).toBe(true);
  });

  it('refuses a duplicate name, a bad name, an unknown database or track, and an ambiguous database', async () => {
    await migrationGenerator(tree, { project: 'shop', name: 'AuditIndex', database: 'audit', timestamp: 1 });
    await expect(migrationGenerator(tree, { project: 'shop', name: 'AuditIndex', database: 'audit', timestamp: 2 })).rejects.toThrow(/exists already/);
    await expect(migrationGenerator(tree, { project: 'shop', name: 'add-thing', database: 'audit' })).rejects.toThrow(/PascalCase/);
    await expect(migrationGenerator(tree, { project: 'shop', name: 'Thing2', database: 'audit' })).rejects.toThrow(/not ending in a digit/);
    await expect(migrationGenerator(tree, { project: 'shop', name: 'Thing', database: 'nope' })).rejects.toThrow(/no database "nope"/);
    await expect(migrationGenerator(tree, { project: 'shop', name: 'Thing', database: 'audit', track: 'tenant' })).rejects.toThrow(/no tenant track/);
    await expect(migrationGenerator(tree, { project: 'shop', name: 'Thing' })).rejects.toThrow(/several databases/);
  });
});
