/**
 * Builds throwaway Fleet projects on disk (config + migration files) under the workspace's tmp/
 * folder, so they resolve node_modules like a real app does.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

/** This workspace's root (fixtures go under its tmp/ folder, so they resolve node_modules like an app). */
export const WORKSPACE_ROOT = resolve(__dirname, '..', '..', '..', '..');

export interface MigrationSpec {
  /** Class name; must end in digits (the ordering timestamp). */
  name: string;
  up: string[];
  down?: string[];
  /** false: runs outside a transaction. */
  transaction?: boolean;
  /** Extra class members, verbatim (e.g. an appliesTo method). */
  members?: string;
}

export function migrationSource(spec: MigrationSpec): string {
  const q = (sqls: string[]) => sqls.map((s) => `    await queryRunner.query(${JSON.stringify(s)});`).join('\n');
  return `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${spec.name} implements MigrationInterface {
${spec.transaction === false ? '  transaction = false;\n' : ''}${spec.members ?? ''}
  async up(queryRunner: QueryRunner): Promise<void> {
${q(spec.up)}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${q(spec.down ?? [])}
  }
}
`;
}

/** Class member for a tenant migration that writes a side-effect counter in public on purpose (the tenant lint's opt-out). */
export const LINT_ALLOW = "  lintAllow = ['schema-qualified'];\n";

export class FixtureProject {
  readonly root: string;

  constructor(label = 'fixture') {
    this.root = join(WORKSPACE_ROOT, 'tmp', 'test-fixtures', `${label}-${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(this.root, { recursive: true });
  }

  path(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  writeMigration(dir: string, spec: MigrationSpec): string {
    const folder = this.path(dir);
    mkdirSync(folder, { recursive: true });
    const file = join(folder, `${spec.name.replace(/^(.*?)(\d+)$/, '$2-$1')}.ts`);
    writeFileSync(file, migrationSource(spec));
    return file;
  }

  writeFile(relativePath: string, content: string): string {
    const file = this.path(relativePath);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, content);
    return file;
  }

  /** Writes fleet.config.ts from a plain object (no imports: it loads anywhere). */
  writeConfig(config: unknown): string {
    return this.writeFile('fleet.config.ts', `export default ${JSON.stringify(config, null, 2)};\n`);
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * The usual tenant fleet of the tests: database `main` (URL in FX_MAIN_URL) whose global track
 * holds a `tenants` registry, and a schema-per-tenant track in ./tenant.
 */
export function tenantFleetConfig(options: Record<string, unknown> = {}, tenantOptions: Record<string, unknown> = {}): unknown {
  return {
    app: 'fx',
    databases: {
      main: {
        migrations: './global',
        createDatabase: true,
        urlEnv: 'FX_MAIN_URL',
        ...options,
        tenants: { strategy: 'schema', migrations: './tenant', discover: { sql: 'SELECT id FROM tenants ORDER BY id' }, registry: { table: 'tenants' }, ...tenantOptions },
      },
    },
  };
}
