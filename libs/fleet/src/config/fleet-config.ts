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
  /** PostgreSQL lock_timeout for migration statements (ms, default 0 = none). */
  lockTimeoutMs?: number;
  /** PostgreSQL statement_timeout for migration statements (ms, default 0 = none). */
  statementTimeoutMs?: number;
  /** Apply pending migrations older than applied ones instead of failing (default false). */
  allowOutOfOrder?: boolean;
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
