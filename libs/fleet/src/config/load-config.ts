import { existsSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { ConfigError, FleetError } from '../errors';
import { assertConfigIdentifier } from '../identifiers';
import { fleetConfigSchema } from './fleet-config';
import type { DatabaseConfig, FleetConfig, TenancyStrategyName, TenantDiscovery, TenantsConfig } from './fleet-config';
import type { ConfigProblem } from './schema';

export type { ConfigProblem } from './schema';
import { loadUserModule } from './user-modules';
import { findAppConfig, projectNameOf, workspaceConfigs } from './nx-project';
import { RolloutConfig, rolloutProblems } from '../rollout/waves';
import { templateProblem } from '../tenancy/reserved-names';
import { whereInSource } from '../migration/load-migrations';
import { HealthLimits, resolveHealthLimits } from './health-limits';
import { DEFAULT_RETRIES, RetryPolicy } from '../migration/retries';

export const CONFIG_FILE = 'fleet.config.ts';

/**
 * The warning threshold for tenant schemas in one database, set from BENCHMARKS.md ("PostgreSQL's
 * own limits"): a whole-database pg_dump takes a lock on every table in one transaction, and the
 * default lock table (max_locks_per_transaction 64 x max_connections 100 = 6400 slots, shared by
 * every session) is full near 1000 tenants of 6 tables (5 tables and the version table); the
 * catalog also grows about 90 KB per such tenant. Fleet's own commands stay linear well past it.
 */
export const DEFAULT_MAX_SCHEMAS_PER_DATABASE = 1000;

/** A validated config with every default filled in and paths made absolute. */
export interface LoadedConfig {
  app: string;
  file: string;
  dir: string;
  workspaceRoot: string;
  databases: LoadedDatabase[];
  /** Staged rollout of the tenants (see rollout/waves.ts). */
  rollout?: RolloutConfig;
  /** Queue mode: where the job queue lives (see FleetConfig.queue). */
  queue?: { database?: string; schema?: string };
  /** Health-aware pacing: every limit filled in (db/health.ts), or null when `health: false`. Absent: the defaults. */
  health?: HealthLimits | null;
}

export interface LoadedDatabase {
  key: string;
  database: string;
  /** The variable naming the database, and the name used when it is not set (the config's `database`, if any). */
  databaseEnv?: { variable: string; fallback: string | null } | null;
  urlEnv: string;
  createDatabase: boolean;
  migrationsDir: string;
  dataSource: string | null;
  schema: string;
  versionTable: string;
  adoptTypeormTable: string | null;
  transactionMode: 'each' | 'all';
  lockWaitMs: number;
  lockTimeoutMs: number;
  /** How transient failures are retried (executor/retry-policy.ts). */
  retries: RetryPolicy;
  idleInTransactionTimeoutMs: number;
  statementTimeoutMs: number;
  allowOutOfOrder: boolean;
  /** Extensions named in the config (the entities' and migrations' are added at run time). */
  extensions: string[];
  /** The tenant track, or null. */
  tenants: LoadedTenants | null;
  /** Shard database names, or null when not sharded. */
  shards: string[] | null;
  /** Variable with comma-separated shard URLs (overrides `shards`). */
  shardUrlsEnv: string;
}

export interface LoadedTenants {
  strategy: TenancyStrategyName;
  migrationsDir: string;
  dataSource: string | null;
  discover: TenantDiscovery;
  schemaTemplate: string;
  databaseTemplate: string;
  createDatabase: boolean;
  versionTable: string;
  registry: { schema: string; table: string; idColumn: string } | null;
  /** Schemas after the target's own on every search_path (first: extensions); the strategy decides whether they apply. */
  sharedSchemas: string[];
  maxSchemasPerDatabase: number;
  /** Spare tenants kept at head (0: no pool; see tenancy/spare-pool.ts), and who refills after a take. */
  pool: { size: number; refill: 'app' | 'worker' };
}

/** Finds an app's config: an explicit path, or `apps/<app>/fleet.config.ts`, `<app>/fleet.config.ts`, or the project named `<app>` (`api` or `@acme/api`). */
export function findConfigFile(workspaceRoot: string, app: string | undefined, configPath: string | undefined): string {
  if (configPath) {
    const file = isAbsolute(configPath) ? configPath : resolve(workspaceRoot, configPath);
    if (!existsSync(file)) throw new ConfigError(`Fleet config ${configPath} does not exist.`, { file });
    return file;
  }
  if (!app) {
    const apps = workspaceConfigs(workspaceRoot, CONFIG_FILE).map((f) => projectNameOf(dirname(f)));
    throw new ConfigError(
      `Say which app to work on: --app <name> (or --config <path to fleet.config.ts>). ${apps.length ? `Apps with a Fleet config here: ${apps.sort().join(', ')}.` : `No project with a ${CONFIG_FILE} here.`}`,
    );
  }
  const found = findAppConfig(workspaceRoot, app, CONFIG_FILE);
  if ('file' in found) return found.file;
  if ('ambiguous' in found) {
    throw new ConfigError(`--app ${app} names several projects with a Fleet config (${found.ambiguous.join(', ')}): use the full project name or --config <path>.`, { app });
  }
  const apps = workspaceConfigs(workspaceRoot, CONFIG_FILE).map((f) => projectNameOf(dirname(f)));
  throw new ConfigError(
    `No Fleet config for app "${app}": looked for ${found.looked.join(' and ')} and for an Nx project of that name with a ${CONFIG_FILE}. ` +
      (apps.length ? `Apps with a Fleet config here: ${apps.sort().join(', ')}. ` : '') +
      'Create one with defineFleetConfig (see the README) or nx g @fleet/nx-plugin:init, or pass --config.',
    { app },
  );
}

export function loadConfig(file: string, workspaceRoot: string): LoadedConfig {
  let mod: { default?: unknown } & Record<string, unknown>;
  try {
    mod = loadUserModule(file);
  } catch (cause) {
    if (cause instanceof FleetError) throw cause;
    const shown = relative(workspaceRoot, file);
    throw new ConfigError(`Fleet config ${shown} failed to load: ${(cause as Error)?.message ?? cause}${whereInSource(cause, file, shown)}`, { file }, { cause });
  }
  const raw = mod.default ?? mod.config ?? mod;
  return validateConfig(raw, file, workspaceRoot);
}

/**
 * Validates once, up front, and reports every problem at once, each with its path
 * (`databases.users.tenants.strategy: must be ...`): the field checks come from the config's
 * schemas (fleet-config.ts), the checks across fields are here. Then fills in every default and
 * makes paths absolute.
 */
export function validateConfig(raw: unknown, file: string, workspaceRoot: string): LoadedConfig {
  const where = relative(workspaceRoot, file) || file;
  const problems: ConfigProblem[] = [];
  const config = fleetConfigSchema.parse(raw, '', problems);
  const app = config?.app ?? 'app';
  for (const [key, db] of Object.entries(config?.databases ?? {})) {
    if (!db) continue;
    const field = (name: string) => `databases.${key}.${name}`;
    if (db.tenants && db.shards !== undefined)
      problems.push({ field: field('shards'), problem: 'cannot be combined with tenants (shard the tenant databases through discovery instead)' });
    if (Array.isArray(db.shards) && new Set(db.shards).size !== db.shards.length) problems.push({ field: field('shards'), problem: 'lists a database twice' });
    // A pool of spare databases: Fleet creates each spare database as it creates a tenant's (tenants.createDatabase, else the database's createDatabase).
    if (db.tenants?.pool?.size && db.tenants.strategy === 'database' && !(db.tenants.createDatabase ?? db.createDatabase ?? false))
      problems.push({
        field: field('tenants.pool'),
        problem: 'needs Fleet to create databases with the database strategy (each spare is a database Fleet creates): set tenants.createDatabase: true, or remove the pool',
      });
    if (db.tenants?.pool?.refill === 'worker' && !config?.queue)
      problems.push({ field: field('tenants.pool.refill'), problem: '"worker" needs queue mode (set `queue` in the config, and run `fleet worker`); or use "app"' });
    if (db.database === undefined) {
      try {
        assertConfigIdentifier(field('database'), defaultDatabaseName(app, key));
      } catch (e) {
        problems.push({ field: field('database'), problem: `the default ${defaultDatabaseName(app, key)} is not usable (${(e as FleetError).details.reason}): set one` });
      }
    }
  }
  problems.push(...tenantTemplateProblems(config, app));
  if (config?.rollout?.waves) problems.push(...rolloutProblems(config.rollout as RolloutConfig));
  if (problems.length > 0 || !config) {
    const list = problems.map((p) => `${p.field}: ${p.problem}`);
    throw new ConfigError(
      problems.length === 1 ? `Invalid Fleet config ${where}: ${list[0]}.` : `Invalid Fleet config ${where}, ${problems.length} problems:\n  - ${list.join('\n  - ')}`,
      { file: where, field: problems[0]?.field, problems },
    );
  }
  const dir = dirname(file);
  const databases = Object.entries(config.databases).map(([key, db]) => loadDatabase(app, key, db, dir));
  if (config.queue?.database !== undefined && !(config.queue.database in config.databases)) {
    throw new ConfigError(`Invalid Fleet config ${where}: queue.database: "${config.queue.database}" is not one of its databases (${Object.keys(config.databases).join(', ')}).`, {
      file: where,
      field: 'queue.database',
    });
  }
  return {
    app,
    file,
    dir,
    workspaceRoot,
    databases,
    health: resolveHealthLimits(config.health),
    ...(config.queue ? { queue: config.queue } : {}),
    ...(config.rollout ? { rollout: config.rollout as RolloutConfig } : {}),
  };
}

/**
 * A tenant template must never give a name that is not a tenant's: PostgreSQL's own schemas, the
 * database's schema, the shared schemas, the registry's and the queue's schemas (schema strategy),
 * or one of the app's databases and the server's own (database strategy). See tenancy/reserved-names.ts.
 */
function tenantTemplateProblems(config: FleetConfig | undefined, app: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const entries = Object.entries(config?.databases ?? {}).filter(([, db]) => db);
  const databaseNames = entries.flatMap(([key, db]) => {
    const database = db.database ?? defaultDatabaseName(app, key);
    return [database, ...(Array.isArray(db.shards) ? db.shards : typeof db.shards === 'number' ? Array.from({ length: db.shards }, (_, i) => `${database}_shard_${i}`) : [])];
  });
  for (const [key, db] of entries) {
    const t = db.tenants;
    if (!t || (t.strategy !== 'schema' && t.strategy !== 'database')) continue;
    const schemaKind = t.strategy === 'schema';
    const option = schemaKind ? 'schemaTemplate' : 'databaseTemplate';
    const given = schemaKind ? t.schemaTemplate : t.databaseTemplate;
    if (given !== undefined && typeof given !== 'string') continue;
    const template = given ?? (schemaKind ? 'tenant_{id}' : `${(db.database ?? defaultDatabaseName(app, key)).toLowerCase()}_{id}`);
    const reserved = schemaKind
      ? [db.schema ?? 'public', ...(t.sharedSchemas ?? ['extensions']), t.registry?.schema ?? 'public', config?.queue?.schema ?? 'fleet_queue']
      : databaseNames;
    const problem = templateProblem(template, schemaKind ? 'schema' : 'database', reserved);
    if (problem) problems.push({ field: `databases.${key}.tenants.${option}`, problem: given === undefined ? `${problem} (the default "${template}")` : problem });
  }
  return problems;
}

function defaultDatabaseName(app: string, key: string): string {
  return `${app}_${key}`.replace(/[^A-Za-z0-9_]/g, '_');
}

/** A valid database entry with every default filled in. */
function loadDatabase(app: string, key: string, db: DatabaseConfig, dir: string): LoadedDatabase {
  const database = db.database ?? defaultDatabaseName(app, key);
  const versionTable = db.versionTable ?? 'fleet_migrations';
  const createDatabase = db.createDatabase ?? false;
  return {
    key,
    database,
    databaseEnv: db.databaseEnv === undefined ? null : { variable: db.databaseEnv, fallback: db.database ?? null },
    urlEnv: db.urlEnv ?? `${app}_${key}_DATABASE_URL`.toUpperCase().replace(/[^A-Z0-9_]/g, '_'),
    createDatabase,
    migrationsDir: resolve(dir, db.migrations),
    dataSource: db.dataSource === undefined ? null : resolve(dir, db.dataSource),
    schema: db.schema ?? 'public',
    versionTable,
    adoptTypeormTable: db.adoptTypeormTable === false ? null : (db.adoptTypeormTable ?? 'migrations'),
    transactionMode: db.transactionMode ?? 'each',
    lockWaitMs: db.lockWaitMs ?? 30_000,
    lockTimeoutMs: db.lockTimeoutMs ?? 1_000,
    retries: {
      count: db.retries?.count ?? db.lockRetries ?? DEFAULT_RETRIES.count,
      windowMs: db.retries?.windowMs ?? DEFAULT_RETRIES.windowMs,
      maxLockTimeoutMs: db.retries?.maxLockTimeoutMs ?? DEFAULT_RETRIES.maxLockTimeoutMs,
    },
    idleInTransactionTimeoutMs: db.idleInTransactionTimeoutMs ?? 60_000,
    statementTimeoutMs: db.statementTimeoutMs ?? 0,
    allowOutOfOrder: db.allowOutOfOrder ?? false,
    extensions: [...new Set(db.extensions ?? [])],
    tenants: db.tenants ? loadTenants(db.tenants, { dir, database, versionTable, createDatabase }) : null,
    shards: db.shards === undefined ? null : typeof db.shards === 'number' ? Array.from({ length: db.shards }, (_, i) => `${database}_shard_${i}`) : db.shards,
    shardUrlsEnv: `${app}_${key}_SHARD_URLS`.toUpperCase().replace(/[^A-Z0-9_]/g, '_'),
  };
}

function loadTenants(t: TenantsConfig, parent: { dir: string; database: string; versionTable: string; createDatabase: boolean }): LoadedTenants {
  return {
    strategy: t.strategy as TenancyStrategyName,
    migrationsDir: resolve(parent.dir, t.migrations),
    dataSource: t.dataSource === undefined ? null : resolve(parent.dir, t.dataSource),
    discover: t.discover as TenantDiscovery,
    schemaTemplate: t.schemaTemplate ?? 'tenant_{id}',
    databaseTemplate: t.databaseTemplate ?? `${parent.database.toLowerCase()}_{id}`,
    createDatabase: t.createDatabase ?? parent.createDatabase,
    versionTable: t.versionTable ?? parent.versionTable,
    registry: t.registry ? { table: t.registry.table, schema: t.registry.schema ?? 'public', idColumn: t.registry.idColumn ?? 'id' } : null,
    sharedSchemas: t.sharedSchemas ?? ['extensions'],
    maxSchemasPerDatabase: t.maxSchemasPerDatabase ?? DEFAULT_MAX_SCHEMAS_PER_DATABASE,
    pool: { size: t.pool?.size ?? 0, refill: t.pool?.refill ?? 'app' },
  };
}
