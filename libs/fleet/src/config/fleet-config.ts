import type { TransactionMode } from '../targets/target';

/**
 * One database an app owns. Each has its own migrations directory and its own version table;
 * the apps' `fleet.config.ts` files declare them with `defineFleetConfig`.
 */
export interface DatabaseConfig {
  /**
   * Database name used when the connection comes from the libpq variables (PGHOST...) or the
   * embedded server. Default: `<app>_<key>`.
   */
  database?: string;
  /**
   * Environment variable holding this database's URL; when set it wins over everything else.
   * Default: `<APP>_<KEY>_DATABASE_URL`, e.g. APP1_USERS_DATABASE_URL.
   */
  urlEnv?: string;
  /** Create the database when it does not exist (default false). */
  createDatabase?: boolean;
  /** Migrations directory, relative to the config file. */
  migrations: string;
  /**
   * Module exporting the app's TypeORM DataSource for this database (relative to the config file).
   * Fleet reads its entities (drift checks, generating migrations); connections come from Fleet.
   */
  dataSource?: string;
  /** Schema holding this database's tables and version table (default `public`). */
  schema?: string;
  /** Version table name (default `fleet_migrations`). */
  versionTable?: string;
  /** TypeORM's own history table to adopt on first run (default `migrations`; false: never adopt). */
  adoptTypeormTable?: string | false;
  /** `each` (default): one transaction per migration. `all`: every pending migration in one. */
  transactionMode?: TransactionMode;
  /** Wait this long for another runner's lock on a target (ms, default 30000; 0 = fail at once). */
  lockWaitMs?: number;
  /**
   * PostgreSQL lock_timeout for migration statements (ms, default 5000; 0 = wait forever). A
   * migration's ALTER queued behind a long transaction blocks the app's reads of that table while
   * it waits: better to give up quickly and try again (`lockRetries`).
   */
  lockTimeoutMs?: number;
  /** How often a transactional migration that hit lock_timeout is retried, with backoff (default 3). */
  lockRetries?: number;
  /**
   * PostgreSQL idle_in_transaction_session_timeout for Fleet's sessions (ms, default 60000; 0 =
   * none): a session whose client went silent mid-transaction (a stalled network) cannot hold
   * its locks on tenant tables for longer.
   */
  idleInTransactionTimeoutMs?: number;
  /** PostgreSQL statement_timeout for migration statements (ms, default 0 = none). */
  statementTimeoutMs?: number;
  /** Apply pending migrations older than applied ones instead of failing (default false). */
  allowOutOfOrder?: boolean;
  /**
   * PostgreSQL extensions this database needs, beyond those its entities imply (uuid columns imply
   * `uuid-ossp`, citext columns `citext`...: TypeORM's own rule) and those its tenant track's
   * migrations create. Installed once per database (each tenant database, for DB-per-tenant)
   * before its tracks run; in schema-per-tenant into the shared schema (`tenants.sharedSchemas`).
   */
  extensions?: string[];
  /**
   * The tenant track: after this database's own (global) migrations, the tenant migrations run
   * on every tenant schema or tenant database.
   */
  tenants?: TenantsConfig;
  /**
   * Shards: the same migrations run on each shard database instead of on `database`. A number N
   * means `<database>_shard_0` ... `<database>_shard_{N-1}` on the same server; a list names them.
   * `<APP>_<KEY>_SHARD_URLS` (comma-separated URLs) overrides both.
   */
  shards?: number | string[];
}

/** A tenant as discovery returns it: an id plus attributes (plan, region...) for conditional migrations. */
export interface TenantRecord {
  id: string;
  attributes?: Record<string, unknown>;
}

/** What a discovery function gets: read-only SQL on the database's global schema. */
export interface DiscoveryContext {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  app: string;
  database: string;
}

/**
 * How to find the tenants of a database, at run time:
 * - `{ sql }`: a query on the global schema returning an `id` column (other columns become attributes);
 * - `{ list }`: a static list of ids (or records);
 * - a function returning records.
 */
export type TenantDiscovery = { sql: string } | { list: Array<string | TenantRecord> } | ((context: DiscoveryContext) => Promise<Array<string | TenantRecord>>);

/** The tenancy strategies (each is implemented in tenancy/strategy.ts). */
export const TENANCY_STRATEGIES = ['schema', 'database'] as const;
export type TenancyStrategyName = (typeof TENANCY_STRATEGIES)[number];

/** The tenant track of a database. */
export interface TenantsConfig {
  /** `schema`: one schema per tenant in this database. `database`: one database per tenant. */
  strategy: TenancyStrategyName;
  /** The tenant track's migrations directory (relative to the config file). */
  migrations: string;
  /** Module exporting the TypeORM DataSource whose entities every tenant maps (drift checks). */
  dataSource?: string;
  discover: TenantDiscovery;
  /** schema strategy: the tenant's schema name (default `tenant_{id}`). */
  schemaTemplate?: string;
  /** database strategy: the tenant's database name (default `<database>_{id}`). */
  databaseTemplate?: string;
  /** database strategy: create missing tenant databases (default: the database's createDatabase). */
  createDatabase?: boolean;
  /** Version table in each tenant schema / database (default: the database's versionTable). */
  versionTable?: string;
  /**
   * Where tenants are registered by `tenant create` (a table in the global schema with an `id`
   * column). Default: none (discovery must then find new tenants by itself).
   */
  registry?: { table: string; schema?: string; idColumn?: string };
  /**
   * schema strategy (ignored by the database strategy, whose tenants keep their extensions in
   * their own database): schemas on every session's search_path after the target's own schema (the
   * global schema's and each tenant's), for objects all tenants share. Default `['extensions']`:
   * the database's extensions are installed into the first. A tenant migration's unqualified name
   * that its own schema lacks resolves here, so keep tables out of these schemas.
   */
  sharedSchemas?: string[];
  /** Warn when one database holds more tenant schemas than this (default 500). */
  maxSchemasPerDatabase?: number;
}

export interface FleetConfig {
  /** The app's name (the Nx project name). */
  app: string;
  /** The app's databases by key (`users`, `analytics`...). */
  databases: Record<string, DatabaseConfig>;
}

/** Typed helper for `fleet.config.ts`: `export default defineFleetConfig({...})`. */
export function defineFleetConfig(config: FleetConfig): FleetConfig {
  return config;
}
