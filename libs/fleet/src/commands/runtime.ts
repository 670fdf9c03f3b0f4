import { findConfigFile, LoadedConfig, LoadedDatabase, loadConfig } from '../config/load-config';
import { ConnectionManager } from '../db/connection-manager';
import { ConnectionSpec, withDatabase } from '../db/connection-spec';
import { EmbeddedServer, startEmbeddedServer } from '../db/embedded-server';
import { resolveConnection } from '../db/resolve-connection';
import { ClientSettings, databaseExists, ensureDatabase } from '../db/server';
import { ConfigError, errorToJSON } from '../errors';
import { combineListeners, EventListener } from '../events';
import { blankResult, emptyResult, TargetResult } from '../executor/result';
import { loadMigrationsFromDirectory } from '../migration/load-migrations';
import type { MigrationDefinition } from '../migration/migration';
import type { Target } from '../targets/target';
import { discoverTenants } from '../tenants/discover';
import { CommonOptions, DEFAULT_CONCURRENCY, normalizeSelection } from './options';
import { inSlice, makeTarget, selectDatabases, shardConnections } from './targets';

export type { CommonOptions } from './options';
export { DEFAULT_CONCURRENCY, normalizeSelection } from './options';
export { inSlice } from './targets';
import { extensionsImpliedBy, ExtensionNeeds } from '../extensions/extensions';
import { Presence, readPresence, recordInLedger } from '../tenancy/presence';
import { tenancyStrategy, TenancyStrategy, TenantLocation } from '../tenancy/strategy';

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

/** Everything a command needs for one run: config, targets, connections; `close()` frees it all. */
export class FleetRuntime {
  /** Extensions implied by each DataSource module's entities (read once per run). */
  private readonly implied = new Map<string, Promise<string[]>>();

  private constructor(
    readonly config: LoadedConfig,
    readonly databases: ResolvedDatabase[],
    readonly connections: ConnectionManager,
    readonly settings: ClientSettings,
    readonly concurrency: number,
    readonly emit: EventListener,
    /** Database keys whose database does not exist (only when opened read-only). */
    readonly missingDatabases: Set<string>,
    private readonly options: CommonOptions,
    private readonly embedded: EmbeddedServer | undefined,
  ) {}

  static async open(options: CommonOptions, mode: { createDatabases: boolean }): Promise<FleetRuntime> {
    const workspaceRoot = options.workspaceRoot ?? process.cwd();
    const env = options.env ?? process.env;
    const emit = combineListeners(options.onEvent);
    const config = typeof options.config === 'object' ? options.config : loadConfig(findConfigFile(workspaceRoot, options.app, options.config), workspaceRoot);
    options = normalizeSelection(options);
    const databases = selectDatabases(config, options.databases);
    const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    const settings: ClientSettings = { applicationName: `fleet:${config.app}`, connectTimeoutMs: options.connectTimeoutMs ?? 10_000 };

    // Load every migration set before touching any server: a broken file fails fast.
    const migrations = new Map<string, { base: MigrationDefinition[]; tenant: MigrationDefinition[] | null }>();
    for (const db of databases) {
      migrations.set(db.key, {
        base: loadMigrationsFromDirectory(db.migrationsDir, workspaceRoot),
        tenant: db.tenants ? loadMigrationsFromDirectory(db.tenants.migrationsDir, workspaceRoot) : null,
      });
    }

    const sources = databases.map((db) => ({ db, source: resolveConnection(db, env) }));
    let embedded: EmbeddedServer | undefined;
    const connections = new ConnectionManager({ ...settings, concurrency, maxConnectionsPerServer: options.maxConnections });
    const missing = new Set<string>();
    try {
      if (sources.some((s) => s.source.kind === 'embedded')) {
        embedded = await startEmbeddedServer(workspaceRoot, env, (message) => emit({ type: 'notice', message }));
      }
      const resolved: ResolvedDatabase[] = [];
      for (const { db, source } of sources) {
        const spec = source.kind === 'embedded' ? withDatabase(embedded!.spec, source.database) : source.spec;
        const maintenance = source.kind === 'libpq' ? source.maintenanceDatabase : 'postgres';
        const shardSpecs = db.shards ? shardConnections(db, spec, env) : null;
        for (const target of shardSpecs ?? [spec]) {
          if (db.createDatabase && mode.createDatabases) {
            if (await ensureDatabase(target, settings, maintenance)) emit({ type: 'notice', message: `Created database ${target.database}` });
          } else if (!mode.createDatabases && !(await databaseExists(target, settings, maintenance).catch(() => true))) {
            missing.add(target.database);
          }
        }
        const { base, tenant } = migrations.get(db.key)!;
        const strategy = db.tenants ? tenancyStrategy(db.tenants) : null;
        const shared = strategy && db.tenants ? strategy.sharedSchemas(db.tenants) : [];
        const names = [...db.extensions];
        const extensions = {
          names,
          base: { names, schema: strategy && db.tenants ? strategy.extensionSchema(db.tenants, db.schema) : db.schema, visible: [db.schema, ...shared] },
          tenant: strategy && db.tenants ? { names, schema: strategy.extensionSchema(db.tenants, 'public'), visible: ['public', ...shared] } : null,
        };
        const baseShape = { schema: db.schema, searchPath: [db.schema, ...shared], extensions: extensions.base, versionTable: db.versionTable, migrations: base };
        const allBase = shardSpecs
          ? shardSpecs.map((s) => makeTarget(config, db, { ...baseShape, connection: s, shard: s.database }, options))
          : [makeTarget(config, db, { ...baseShape, connection: spec }, options)];
        const globalTargets = options.targets ? allBase.filter((t) => options.targets!.includes(t.id)) : allBase;
        resolved.push({
          db,
          spec,
          maintenanceDatabase: maintenance,
          globalTargets: shardSpecs ? globalTargets.filter((t) => inSlice(t.id, options.slice)) : globalTargets,
          globalTemplate: allBase[0],
          tenantMigrations: tenant,
          strategy,
          extensions,
        });
      }
      if (options.targets) {
        const known = new Set(resolved.flatMap((r) => r.globalTargets.map((t) => t.id)));
        const tenantDatabases = resolved.filter((r) => r.db.tenants).map((r) => `${config.app}/${r.db.key}/`);
        for (const id of options.targets) {
          if (!known.has(id) && !tenantDatabases.some((p) => id.startsWith(p))) {
            throw new ConfigError(`--target ${id}: app ${config.app} has no such target (its targets are <app>/<database>, <app>/<database>/<tenant or shard>).`, { target: id });
          }
        }
      }
      return new FleetRuntime(config, resolved, connections, settings, concurrency, emit, missing, options, embedded);
    } catch (err) {
      await connections.close();
      await embedded?.stop();
      throw err;
    }
  }

  /** The global tracks: every database's global track (or its shards). */
  globalTargets(): Target[] {
    return this.databases.flatMap((d) => d.globalTargets);
  }

  /**
   * Phase 1: discover each database's tenants (on its global schema) and build their targets.
   * A database whose global track failed gets no tenant target run: its tenants are reported
   * `not-run`. Invalid tenant ids are reported as failed, never turned into SQL.
   */
  async tenantTargets(previous: readonly TargetResult[] = [], mode: { createDatabases: boolean } = { createDatabases: false }): Promise<TenantResolution> {
    const out: TenantResolution = { targets: [], results: [], missing: new Set(), orphans: [] };
    for (const d of this.databases) {
      const tenants = d.db.tenants;
      if (!tenants || !d.tenantMigrations) continue;
      const baseFailed = previous.some(
        (r) => r.app === this.config.app && r.database === d.db.key && r.tenant === null && (r.outcome === 'failed' || r.outcome === 'blocked' || r.outcome === 'not-run'),
      );
      const discoveryTarget = `${this.config.app}/${d.db.key}/*`;
      let discovery;
      try {
        discovery = this.missingDatabases.has(d.spec.database)
          ? { tenants: [], invalid: [] }
          : await (
              await this.connections.pool(d.spec)
            ).withSession((session) => discoverTenants(tenants.discover, { query: (sql, params) => session.query(sql, params), app: this.config.app, database: d.db.key }));
      } catch (err) {
        if (((err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code) === '42P01') {
          // The registry table does not exist yet: the global track has not created it. No tenants.
          this.emit({ type: 'notice', message: `${this.config.app}/${d.db.key}: no tenant registry yet (${errorToJSON(err).message}); migrate the global track first` });
          continue;
        }
        const result = pseudoResult(this.config.app, d, discoveryTarget);
        result.outcome = 'failed';
        result.failed = { migration: null, error: { ...errorToJSON(err), message: `tenant discovery failed: ${errorToJSON(err).message}` } };
        out.results.push(result);
        continue;
      }
      for (const bad of discovery.invalid) {
        const result = pseudoResult(this.config.app, d, `${this.config.app}/${d.db.key}/${bad.id}`);
        result.outcome = 'failed';
        result.failed = { migration: null, error: { code: 'INVALID_IDENTIFIER', message: bad.reason } };
        out.results.push(result);
      }
      const wanted = this.options.tenants ? new Set(this.options.tenants) : null;
      if (wanted) {
        const known = new Set(discovery.tenants.map((t) => t.id));
        // Nothing ran yet: a usage error. After the global track changed something, a failed
        // target, so that the exit code says what happened.
        const somethingRan = previous.some((r) => r.outcome === 'changed');
        for (const id of wanted) {
          if (known.has(id)) continue;
          const message = `--tenant ${id}: no such tenant in ${this.config.app}/${d.db.key} (discovered ${discovery.tenants.length}).`;
          if (!somethingRan) throw new ConfigError(message, { tenant: id });
          const result = pseudoResult(this.config.app, d, `${this.config.app}/${d.db.key}/${id}`);
          result.outcome = 'failed';
          result.failed = { migration: null, error: { code: 'UNKNOWN_TENANT', message } };
          out.results.push(result);
        }
      }
      const warning = d.strategy!.scaleWarning(tenants, discovery.tenants.length, `${this.config.app}/${d.db.key}`);
      if (warning) this.emit({ type: 'notice', message: warning });
      const byTarget = this.options.targets ? new Set(this.options.targets) : null;
      const presence = await this.presence(
        d,
        discovery.tenants.map((t) => t.id),
      );
      for (const name of presence.orphans) out.orphans.push({ database: d.db.key, name });
      for (const tenant of discovery.tenants) {
        if (wanted && !wanted.has(tenant.id)) continue;
        const id = `${this.config.app}/${d.db.key}/${tenant.id}`;
        if (byTarget && !byTarget.has(id)) continue;
        if (!inSlice(id, this.options.slice)) continue;
        let target: Target;
        try {
          target = this.tenantTarget(d, tenant, mode);
        } catch (err) {
          // An id that fits the id rule but not the name (`tenant_` + 60 bytes): that tenant fails, never the fleet.
          const result = pseudoResult(this.config.app, d, id);
          result.outcome = 'failed';
          result.failed = { migration: null, error: errorToJSON(err) };
          out.results.push(result);
          continue;
        }
        // Only a tenant that exists can be dropped under a running migrate: only it gets the
        // registration check under its lock (a new tenant costs no extra round trip).
        const discover = tenants.discover;
        if (presence.present.has(tenant.id) && !d.strategy!.databasePerTenant && typeof discover === 'object' && 'sql' in discover) {
          target.registration = { sql: discover.sql, globalSchema: d.db.schema, id: tenant.id };
        }
        if (presence.missing.has(tenant.id)) {
          out.missing.add(id);
          if (mode.createDatabases && !this.options.createMissing) {
            // Registered, migrated before, and gone: never silently re-created empty.
            const result = emptyResult(target);
            result.outcome = 'failed';
            result.failed = {
              migration: null,
              error: {
                code: 'TENANT_MISSING',
                message:
                  `tenant ${tenant.id} is registered and was migrated before, but its ${d.strategy!.kind} ${d.strategy!.locationName(this.tenantLocation(d, tenant.id))} is gone (dropped outside Fleet?). ` +
                  'Restore it from a backup, remove the tenant from the registry, or pass --create-missing to re-create it empty and run every migration.',
              },
            };
            out.results.push(result);
            continue;
          }
        }
        if (baseFailed) {
          const result = emptyResult(target);
          result.failed = { migration: null, error: { code: 'NOT_RUN', message: 'not attempted: the global track of this database failed' } };
          out.results.push(result);
        } else out.targets.push(target);
      }
    }
    return out;
  }

  /** Which discovered tenants are missing, and which tenant-shaped schemas/databases are orphans (one look per database). */
  private async presence(d: ResolvedDatabase, ids: string[]): Promise<Presence> {
    if (this.missingDatabases.has(d.spec.database)) return { present: new Set(), missing: new Set(), orphans: [] };
    const locations = new Map<string, string>();
    for (const id of ids) {
      try {
        locations.set(id, d.strategy!.locationName(this.tenantLocation(d, id)));
      } catch {
        // an id that cannot become a name is reported by the caller
      }
    }
    const tenants = d.db.tenants!;
    const template = d.strategy!.databasePerTenant ? tenants.databaseTemplate : tenants.schemaTemplate;
    return (await this.connections.pool(d.spec)).withSession((session) =>
      readPresence(session, d.db.schema, d.strategy!.kind, template, locations, [...d.strategy!.sharedSchemas(tenants), d.spec.database]),
    );
  }

  /** Notes the tenants that exist after a migrate in each database's ledger (so that a later loss is `missing`, not new). */
  async recordTenants(results: readonly TargetResult[]): Promise<void> {
    for (const d of this.databases) {
      if (!d.strategy) continue;
      const present = results.filter((r) => r.database === d.db.key && r.tenant !== null && (r.outcome === 'changed' || r.outcome === 'unchanged') && r.versionAfter !== null);
      if (present.length === 0) continue;
      const entries = present.map((r) => ({ id: r.tenant!, location: d.strategy!.locationName(this.tenantLocation(d, r.tenant!)) }));
      await (await this.connections.pool(d.spec)).withSession((session) => recordInLedger(session, d.db.schema, entries));
    }
  }

  /** The target of one tenant (no discovery): its schema or database, the tenant track, its attributes. */
  tenantTarget(d: ResolvedDatabase, tenant: { id: string; attributes?: Record<string, unknown> }, mode: { createDatabases: boolean }): Target {
    const tenants = d.db.tenants!;
    const location = this.tenantLocation(d, tenant.id, mode);
    return makeTarget(
      this.config,
      d.db,
      {
        connection: location.connection,
        schema: location.schema,
        searchPath: [location.schema, ...d.strategy!.sharedSchemas(tenants)],
        extensions: d.extensions.tenant,
        createDatabase: location.createDatabase,
        versionTable: tenants.versionTable,
        migrations: d.tenantMigrations!,
        tenant: tenant.id,
        attributes: tenant.attributes ?? {},
      },
      this.options,
    );
  }

  /** Where a tenant of `d` lives (its schema or its database). */
  tenantLocation(d: ResolvedDatabase, id: string, mode: { createDatabases: boolean } = { createDatabases: false }): TenantLocation {
    return d.strategy!.locate({ spec: d.spec, maintenanceDatabase: d.maintenanceDatabase, tenants: d.db.tenants! }, id, mode);
  }

  /**
   * Completes each database's extension list before a migrate: the config's, those its entities
   * imply (TypeORM's rule, read from the `dataSource` modules), and `more` (e.g. what the tenant
   * lint found its migrations create). Reads entity metadata only; no connection.
   */
  async resolveExtensions(more: Map<string, string[]> = new Map()): Promise<void> {
    for (const d of this.databases) {
      const found = [...(more.get(d.db.key) ?? [])];
      for (const module of [d.db.dataSource, d.db.tenants?.dataSource]) {
        if (!module) continue;
        if (!this.implied.has(module)) {
          this.implied.set(
            module,
            extensionsImpliedBy(module).catch((err) => {
              // The entities are only a hint here: the migrations do not need them to run.
              this.emit({
                type: 'notice',
                message: `warning: ${this.config.app}/${d.db.key}: could not read the entities of ${module} for the extensions they imply (${errorToJSON(err).message}); migrating without them`,
              });
              return [];
            }),
          );
        }
        found.push(...(await this.implied.get(module)!));
      }
      for (const name of found) if (!d.extensions.names.includes(name)) d.extensions.names.push(name);
    }
  }

  /** The run's interruption signal, if any. */
  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  /** The heartbeat settings of this run (runFleet's watchdog). */
  get watchdog(): { intervalMs?: number; stallMs?: number } {
    const out: { intervalMs?: number; stallMs?: number } = {};
    if (this.options.heartbeatMs !== undefined) out.intervalMs = this.options.heartbeatMs;
    if (this.options.stallTimeoutMs !== undefined) out.stallMs = this.options.stallTimeoutMs;
    return out;
  }

  async close(): Promise<void> {
    try {
      await this.connections.close();
    } finally {
      if (this.embedded?.startedHere) await this.embedded.stop();
    }
  }
}

/** Opens a runtime, runs fn, always closes it. */
export async function withRuntime<T>(options: CommonOptions, mode: { createDatabases: boolean }, fn: (runtime: FleetRuntime) => Promise<T>): Promise<T> {
  const runtime = await FleetRuntime.open(options, mode);
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

/** A result for what could not become a target (a failed discovery, an unsafe tenant id). */
function pseudoResult(app: string, d: ResolvedDatabase, id: string): TargetResult {
  return blankResult({ target: id, app, database: d.db.key, schema: d.db.schema, tenant: id.split('/')[2] ?? null });
}
