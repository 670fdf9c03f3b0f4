import type { ConnectionSpec } from '../db/connection-spec';
import type { ExtensionNeeds } from '../extensions/extensions';
import type { MigrationDefinition, TargetInfo } from '../migration/migration';
import type { RetryPolicy } from '../migration/retries';

export type TransactionMode = 'each' | 'all';

/** How a target's migrations run. Defaults are set where the config is normalised. */
export interface TargetSettings {
  /** `each`: one transaction per migration (default). `all`: every pending migration in one. */
  transactionMode: TransactionMode;
  /** How long to wait for another runner's lock on this target before failing (ms). */
  lockWaitMs: number;
  /** PostgreSQL lock_timeout for the migrations' own statements (ms, 0 = none): the first attempt's; retries double it up to `retries.maxLockTimeoutMs`. */
  lockTimeoutMs: number;
  /** How transient failures are retried (executor/retry-policy.ts). */
  retries: RetryPolicy;
  /** PostgreSQL idle_in_transaction_session_timeout for the target's session (ms, 0 = none). */
  idleInTransactionTimeoutMs: number;
  /** PostgreSQL statement_timeout for the migrations' statements (ms, 0 = none). */
  statementTimeoutMs: number;
  allowOutOfOrder: boolean;
}

/**
 * One place migrations are applied: a version table in a schema of a database. An app's
 * database is one target; a schema-per-tenant database is one target per tenant schema.
 */
export interface Target {
  /** Stable id: `<app>/<database>[/<tenant>]`. */
  id: string;
  info: TargetInfo;
  connection: ConnectionSpec;
  versionTable: string;
  /**
   * The schema (in the target's own database) whose fleet index holds the target's row
   * (storage/fleet-index.ts): the global schema for the global track and schema tenants, the
   * tenant database's own schema for a database tenant. Null or absent: no index is kept.
   */
  indexSchema?: string | null;
  /**
   * The schemas after the target's own (`info.schema`, where unqualified CREATEs land) on the
   * session's search_path while its migrations run: the database's shared schemas (extensions).
   * One frozen array shared by a database's targets (see searchPathOf).
   */
  sharedSearchPath: readonly string[];
  /** Extensions its database must have before `migrate` runs here (checked once per database and run). */
  extensions: ExtensionNeeds | null;
  /**
   * Schema-per-tenant with SQL discovery: how to ask, under the tenant's lock, whether the tenant
   * is still registered (a tenant dropped while a migrate runs must not be re-created).
   */
  registration?: Registration | null;
  /** TypeORM's migrations table to adopt history from, or null. */
  adoptTypeormTable: string | null;
  migrations: MigrationDefinition[];
  settings: TargetSettings;
  /** Targets of a lower phase (global track) run before higher ones (tenant track). */
  phase: number;
  /** DB-per-tenant: create the target's database first, via this maintenance database. */
  createDatabase?: string | null;
  /** A spare of the tenant pool (tenancy/spare-pool.ts): a target of the tenant track that is no tenant yet. */
  spare?: boolean;
}

/**
 * How a database's tenants are asked for (its discovery query, run on its global schema): one
 * frozen object shared by the database's targets, the tenant being the target's `info.tenant`.
 */
export interface Registration {
  sql: string;
  globalSchema: string;
}

/** The session's search_path while the target's migrations run: its own schema, then the shared ones. */
export function searchPathOf(target: Pick<Target, 'info' | 'sharedSearchPath'>): string[] {
  return [target.info.schema, ...target.sharedSearchPath];
}

/** A search_path with nothing after the target's own schema. */
export const NO_SHARED_SCHEMAS: readonly string[] = Object.freeze([]);

/** The attributes of a tenant that has none: one frozen object shared by every such target. */
export const NO_ATTRIBUTES: Record<string, unknown> = Object.freeze({});

/** A track of one database: `<app>/<database>/<global|tenant>` (the tenant lint's verdicts are per track). */
export function trackId(app: string, database: string, track: 'global' | 'tenant'): string {
  return `${app}/${database}/${track}`;
}
