import { logger, type Tree } from '@nx/devkit';
import { findProject, nxRun } from '../lib/find-project';
import { posix } from 'node:path';
import { parseTypeScript, walk } from '@fleet/core/config/typescript-source';
import { readFleetConfig } from '../migration/lib/read-fleet-config';

export type Tenancy = 'schema' | 'database' | 'sharded';

export interface ConfigurationGeneratorSchema {
  project: string;
  /** The database's key in fleet.config.ts (default: the only one). */
  database?: string;
  tenancy: Tenancy;
  /** sharded: how many shard databases (default 4). */
  shards?: number;
  /** schema/database: the tenant registry table in the global schema (default `tenants`). */
  registryTable?: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * `nx g @fleet/nx-plugin:configuration --project shop --tenancy schema|database|sharded`: turns one
 * database of an app into schema-per-tenant, DB-per-tenant or sharded, in its fleet.config.ts.
 * - schema / database: a tenant registry (a global migration creating it), a tenant track with its
 *   own migrations directory, discovery from the registry; the existing migrations stay the
 *   global track. `nx run shop:tenant-create --id acme` then onboards tenants.
 * - sharded: `shards: N`; the same migrations then run on `<database>_shard_0` ... `_{N-1}`.
 * The config is edited in place (its other settings and comments are kept); a database that is
 * already multi-tenant or sharded is refused.
 */
export async function configurationGenerator(tree: Tree, options: ConfigurationGeneratorSchema): Promise<void> {
  if (!['schema', 'database', 'sharded'].includes(options.tenancy)) throw new Error(`--tenancy must be schema, database or sharded (got "${options.tenancy}").`);
  const { name: projectName, project } = findProject(tree, options.project);
  const configPath = posix.join(project.root, 'fleet.config.ts');
  if (!tree.exists(configPath)) throw new Error(`${options.project} has no fleet.config.ts: run nx g @fleet/nx-plugin:init first.`);
  const config = readFleetConfig(tree, configPath);
  const keys = config.databases.map((d) => d.key);
  const key = options.database ?? (keys.length === 1 ? keys[0] : undefined);
  if (!key) throw new Error(`${configPath} has several databases (${keys.join(', ')}): name one with --database.`);
  const db = config.databases.find((d) => d.key === key);
  if (!db) throw new Error(`${configPath} has no database "${key}" (databases: ${keys.join(', ')}).`);
  if (db.tenants || db.shards)
    throw new Error(`${options.project}/${key} is already ${db.tenants ? `multi-tenant (${db.tenants.strategy})` : 'sharded'}; edit ${configPath} by hand to change it.`);

  const source = tree.read(configPath, 'utf-8') as string;
  const literal = databaseLiteral(source, configPath, key);
  let addition: string;
  if (options.tenancy === 'sharded') {
    const shards = options.shards ?? 4;
    if (!Number.isInteger(shards) || shards < 1 || shards > 10_000) throw new Error('--shards must be a whole number from 1 to 10000.');
    addition = `shards: ${shards},`;
    logger.info(
      `${options.project}/${key}: ${shards} shards (${db.database}_shard_0 ... _${shards - 1}). Fleet migrates the shard databases; moving existing rows into them is up to you.`,
    );
  } else {
    const registry = options.registryTable ?? 'tenants';
    if (!IDENTIFIER.test(registry)) throw new Error(`--registryTable "${registry}" must be a lower-case identifier.`);
    const schema = db.schema ?? 'public';
    const tenantDir = posix.join(posix.dirname(db.migrationsDir), `tenant-${posix.basename(db.migrationsDir)}`);
    tree.write(posix.join(tenantDir, '.gitkeep'), '');
    const stamp = Date.now();
    tree.write(posix.join(db.migrationsDir, `${stamp}-CreateTenantRegistry.ts`), registryMigration(stamp, schema, registry));
    const rel = `./${posix.relative(project.root, tenantDir)}`;
    addition = [
      'tenants: {',
      `  strategy: '${options.tenancy}',`,
      options.tenancy === 'schema' ? `  schemaTemplate: 'tenant_{id}',` : `  databaseTemplate: '${db.database}_{id}',\n  createDatabase: true,`,
      `  migrations: '${rel}',`,
      `  discover: { sql: 'SELECT id FROM "${schema}"."${registry}" ORDER BY id' },`,
      `  registry: { table: '${registry}'${schema === 'public' ? '' : `, schema: '${schema}'`} },`,
      '},',
    ].join('\n');
    logger.info(
      `${options.project}/${key}: ${options.tenancy === 'schema' ? 'a schema per tenant' : 'a database per tenant'}. Tenant migrations go to ${tenantDir} ` +
        `(nx g @fleet/nx-plugin:migration --project ${projectName} --track tenant); onboard with ${nxRun(tree, projectName, 'tenant-create')} --id <tenant>.`,
    );
  }
  tree.write(configPath, insertBeforeClose(source, literal, addition));
}

/** Where the object literal of `databases.<key>` is in the config's source: its end (after the `}`) and how many properties it has. */
interface DatabaseLiteral {
  end: number;
  properties: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = any;

function databaseLiteral(source: string, file: string, key: string): DatabaseLiteral {
  const parsed = parseTypeScript(source, file);
  let found: DatabaseLiteral | undefined;
  const nameOf = (p: Node) => (p.type === 'KeyValueProperty' && (p.key.type === 'Identifier' || p.key.type === 'StringLiteral') ? (p.key.value as string) : undefined);
  walk(parsed.module, (node) => {
    if (found) return false;
    const n = node as Node;
    if (n.type === 'KeyValueProperty' && nameOf(n) === 'databases' && n.value.type === 'ObjectExpression') {
      const entry = n.value.properties.find((p: Node) => nameOf(p) === key);
      if (entry && entry.value.type === 'ObjectExpression') found = { end: parsed.range(entry.value)[1], properties: entry.value.properties.length };
    }
    return undefined;
  });
  if (!found) throw new Error(`${file}: databases.${key} is not an object literal; edit it by hand.`);
  return found;
}

/** Adds `addition` as the last properties of `literal`, indented like its other properties. */
function insertBeforeClose(source: string, literal: DatabaseLiteral, addition: string): string {
  const close = literal.end - 1; // the `}`
  const lineStart = source.lastIndexOf('\n', close) + 1;
  const closeIndent = source.slice(lineStart, close).match(/^\s*/)?.[0] ?? '';
  const indent = `${closeIndent}  `;
  let before = source.slice(0, close).replace(/\s*$/, '');
  if (literal.properties && !before.endsWith(',') && !before.endsWith('{')) before += ',';
  const body = addition
    .split('\n')
    .map((line) => indent + line)
    .join('\n');
  return `${before}\n${body}\n${closeIndent}${source.slice(close)}`;
}

function registryMigration(stamp: number, schema: string, table: string): string {
  return `import { MigrationInterface, QueryRunner } from 'typeorm';

/** The tenant registry (global schema): \`tenant create\` registers each tenant here once it is at head. */
export class CreateTenantRegistry${stamp} implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "${schema}"."${table}" ("id" character varying(63) NOT NULL PRIMARY KEY, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now())',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "${schema}"."${table}"');
  }
}
`;
}

export default configurationGenerator;
