import { findConfigFile, LoadedConfig, loadConfig } from '../config/load-config';
import { ConnectionManager } from '../db/connection-manager';
import { withDatabase } from '../db/connection-spec';
import { EmbeddedServer, startEmbeddedServer } from '../db/embedded-server';
import { resolveConnection } from '../db/resolve-connection';
import { ClientSettings, databaseExists, ensureDatabase } from '../db/server';
import { explainMissingDatabase } from '../db/missing-database';
import { relative } from 'node:path';
import { ConfigError, errorToJSON } from '../errors';
import { combineListeners, EventListener } from '../events';
import type { TargetResult } from '../executor/result';
import { loadMigrationsFromDirectory } from '../migration/load-migrations';
import type { MigrationDefinition } from '../migration/migration';
import type { Target } from '../targets/target';
import { recordTenantsInLedger, resolveTenantTargets } from './discovery';
import { CommonOptions, DEFAULT_CONCURRENCY, normalizeSelection } from './options';
import type { DiscoveryRuntime, ResolvedDatabase, TenantResolution } from './runtime-types';
import { inSlice, makeTarget, nameShards, selectDatabases, shardConnections, shardUrls } from './targets';

export type { CommonOptions } from './options';
export type { ResolvedDatabase, TenantResolution } from './runtime-types';
export { DEFAULT_CONCURRENCY, normalizeSelection } from './options';
export { inSlice } from './targets';
import { extensionsImpliedBy } from '../extensions/extensions';
import { relocateFix } from '../extensions/relocate';
import { tenancyStrategy, TenantLocation } from '../tenancy/strategy';

/** Everything a command needs for one run: config, targets, connections; `close()` frees it all. */
export class FleetRuntime implements DiscoveryRuntime {
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
    /** The run's options, validated (normalizeSelection). */
    readonly options: CommonOptions,
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
    const settings: ClientSettings = {
      applicationName: (options.applicationName ?? 'fleet:{app}').replace('{app}', config.app),
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    };

    // Load every migration set before touching any server: a broken file fails fast.
    const migrations = new Map<string, { base: MigrationDefinition[]; tenant: MigrationDefinition[] | null }>();
    for (const db of databases) {
      migrations.set(db.key, {
        base: loadMigrationsFromDirectory(db.migrationsDir, workspaceRoot),
        tenant: db.tenants ? loadMigrationsFromDirectory(db.tenants.migrationsDir, workspaceRoot) : null,
      });
    }

    // A database whose shards are all given by URL has its connections: it needs no embedded server.
    const sources = databases.map((db) => ({ db, source: resolveConnection(db, env), byUrl: shardUrls(db, env) }));
    let embedded: EmbeddedServer | undefined;
    const connections = new ConnectionManager({
      ...settings,
      concurrency,
      maxConnectionsPerServer: options.maxConnections,
      sharedBudget: options.sharedBudget,
      // A worker's idle connection holds one of the budget's slots: give it back quickly unless the next job reuses it.
      idleTimeoutMs: options.sharedBudget ? 100 : undefined,
    });
    const missing = new Set<string>();
    try {
      if (sources.some((s) => s.source.kind === 'embedded' && !s.byUrl?.length)) {
        embedded = await startEmbeddedServer(workspaceRoot, env, (message) => emit({ type: 'notice', message }));
      }
      const resolved: ResolvedDatabase[] = [];
      for (const { db, source, byUrl } of sources) {
        const spec = source.kind !== 'embedded' ? source.spec : byUrl?.length ? byUrl[0] : withDatabase(embedded!.spec, source.database);
        const maintenance = source.kind === 'libpq' ? source.maintenanceDatabase : 'postgres';
        const shards = db.shards ? await nameShards(db, shardConnections(db, spec, env), (s) => connections.serverId(s)) : null;
        const shardSpecs = shards?.map((s) => s.spec);
        for (const target of shardSpecs ?? [spec]) {
          if (db.createDatabase && mode.createDatabases) {
            if (await ensureDatabase(target, settings, maintenance)) emit({ type: 'notice', message: `Created database ${target.database}` });
          } else if (!(await databaseExists(target, settings, maintenance).catch(() => true))) {
            // Never "create it" when this app's history is in another database (see db/missing-database.ts).
            const explain = () =>
              explainMissingDatabase({
                app: config.app,
                db,
                spec: target,
                source,
                configFile: relative(workspaceRoot, config.file) || config.file,
                settings,
                maintenanceDatabase: maintenance,
              });
            if (mode.createDatabases) throw await explain();
            missing.add(target.database);
            // Read-only (status): the same explanation as a warning, when someone listens (the scan costs connections).
            if (!db.createDatabase && options.onEvent) emit({ type: 'notice', message: `warning: ${(await explain()).message}` });
          }
        }
        const { base, tenant } = migrations.get(db.key)!;
        const strategy = db.tenants ? tenancyStrategy(db.tenants) : null;
        const shared = Object.freeze(strategy && db.tenants ? strategy.sharedSchemas(db.tenants) : []);
        const names = [...db.extensions];
        const fix = () => relocateFix(config);
        const extensions = {
          names,
          base: { names, schema: strategy && db.tenants ? strategy.extensionSchema(db.tenants, db.schema) : db.schema, visible: [db.schema, ...shared], fix },
          // A tenant sees its own schema, then the shared ones: never `public` (a tenant database's own schema is its extension schema).
          tenant:
            strategy && db.tenants
              ? { names, schema: strategy.extensionSchema(db.tenants, 'public'), visible: [...new Set([strategy.extensionSchema(db.tenants, 'public'), ...shared])], fix }
              : null,
        };
        const baseShape = { schema: db.schema, sharedSearchPath: shared, extensions: extensions.base, versionTable: db.versionTable, migrations: base };
        const allBase = shards
          ? shards.map((s) => makeTarget(config, db, { ...baseShape, connection: s.spec, shard: s.name }, options))
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
          sharedSchemas: shared,
          extensions,
        });
      }
      if (options.targets) {
        const known = new Set(resolved.flatMap((r) => r.globalTargets.map((t) => t.id)));
        const tenantDatabases = resolved.filter((r) => r.db.tenants).map((r) => `${config.app}/${r.db.key}/`);
        for (const id of options.targets) {
          if (!known.has(id) && !tenantDatabases.some((p) => id.startsWith(p))) {
            throw new ConfigError(`--only ${id}: app ${config.app} has no such target (its targets are <app>/<database>, <app>/<database>/<tenant or shard>).`, { target: id });
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
   * The tenant targets: each database's tenants discovered (on its global schema) and turned into
   * targets; what could not become one is a result (see discovery.ts).
   */
  tenantTargets(previous: readonly TargetResult[] = [], mode: { createDatabases: boolean } = { createDatabases: false }): Promise<TenantResolution> {
    return resolveTenantTargets(this, previous, mode);
  }

  /** Notes the tenants that exist after a migrate in each database's ledger (so that a later loss is `missing`, not new). */
  recordTenants(results: readonly TargetResult[]): Promise<void> {
    return recordTenantsInLedger(this, results);
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
        sharedSearchPath: d.sharedSchemas,
        extensions: d.extensions.tenant,
        createDatabase: location.createDatabase,
        versionTable: tenants.versionTable,
        indexSchema: d.strategy!.indexSchema(d.db.schema, location),
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

  private readonly noticed = new Set<string>();

  /** A notice said once per run, however many times discovery runs (status for the journal, then the run). */
  noticeOnce(message: string): void {
    if (this.noticed.has(message)) return;
    this.noticed.add(message);
    this.emit({ type: 'notice', message });
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
