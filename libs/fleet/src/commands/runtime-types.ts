/**
 * What a run's runtime holds, as types that the modules it calls (discovery.ts, ...) use without
 * importing runtime.ts itself: runtime.ts imports them, never the other way round.
 */
import type { LoadedConfig, LoadedDatabase } from '../config/load-config';
import type { ConnectionManager } from '../db/connection-manager';
import type { ConnectionSpec } from '../db/connection-spec';
import type { TargetResult } from '../executor/result';
import type { ExtensionNeeds } from '../extensions/extensions';
import type { MigrationDefinition } from '../migration/migration';
import type { Target } from '../targets/target';
import type { TenancyStrategy, TenantLocation } from '../tenancy/strategy';
import type { CommonOptions } from './options';

/** One database of the app, connected: its global (or shard) targets and its tenant track. */
export interface ResolvedDatabase {
  db: LoadedDatabase;
  spec: ConnectionSpec;
  maintenanceDatabase: string;
  /** The database's own targets: the global track, or one per shard (only this run's slice with --slice). */
  globalTargets: Target[];
  /** One of its own targets whatever the share (scratch runs copy it). */
  globalTemplate: Target;
  tenantMigrations: MigrationDefinition[] | null;
  /** How its tenants live (null: no tenant track). */
  strategy: TenancyStrategy | null;
  /** Its shared schemas (extensions), after a target's own on the search_path: one frozen array for all its targets. */
  sharedSchemas: readonly string[];
  /**
   * The extensions this database needs (one list, filled by `resolveExtensions`), and where they
   * go for its own targets and for its tenant targets (a tenant database has its own schema).
   */
  extensions: { names: string[]; base: ExtensionNeeds; tenant: ExtensionNeeds | null };
}

/** Tenant targets of one run, and the results of what could not become a target. */
export interface TenantResolution {
  targets: Target[];
  results: TargetResult[];
  /** Target ids of registered tenants whose schema or database is gone (see tenancy/presence.ts). */
  missing: Set<string>;
  /** Schemas or databases shaped like a tenant's that no discovered tenant owns. */
  orphans: Array<{ database: string; name: string }>;
}

/** The part of a FleetRuntime that tenant discovery uses (FleetRuntime is one). */
export interface DiscoveryRuntime {
  readonly config: LoadedConfig;
  readonly databases: ResolvedDatabase[];
  readonly connections: ConnectionManager;
  /** Database keys whose database does not exist (only when opened read-only). */
  readonly missingDatabases: Set<string>;
  readonly options: CommonOptions;
  noticeOnce(message: string): void;
  tenantTarget(d: ResolvedDatabase, tenant: { id: string; attributes?: Record<string, unknown> }, mode: { createDatabases: boolean }): Target;
  tenantLocation(d: ResolvedDatabase, id: string, mode?: { createDatabases: boolean }): TenantLocation;
}
