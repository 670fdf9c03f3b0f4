import { createHash } from 'node:crypto';
import { findConfigFile, LoadedConfig, LoadedDatabase, loadConfig } from '../config/load-config';
import { ConnectionManager } from '../db/connection-manager';
import { ConnectionSpec, parseConnectionUrl, withDatabase } from '../db/connection-spec';
import { EmbeddedServer, startEmbeddedServer } from '../db/embedded-server';
import { resolveConnection } from '../db/resolve-connection';
import { ClientSettings, databaseExists, ensureDatabase } from '../db/server';
import { ConfigError, errorToJSON } from '../errors';
import { combineListeners, EventListener } from '../events';
import { blankResult, emptyResult, TargetResult } from '../executor/result';
import { loadMigrationsFromDirectory } from '../migration/load-migrations';
import type { MigrationDefinition } from '../migration/migration';
import type { Target, TargetSettings } from '../targets/target';
import { discoverTenants } from '../tenants/discover';
import { extensionsImpliedBy, ExtensionNeeds } from '../extensions/extensions';
import { Presence, readPresence, recordInLedger } from '../tenancy/presence';
import { tenancyStrategy, TenancyStrategy, TenantLocation } from '../tenancy/strategy';

/** Options every command takes. Defaults are documented here, where they are applied. */
export interface CommonOptions {
  /** App name: its config is `apps/<app>/fleet.config.ts`. */
  app?: string;
  /** Path to a fleet.config.ts (instead of --app), or an already loaded config. */
  config?: string | LoadedConfig;
  /** Workspace root (default: process.cwd()). */
  workspaceRoot?: string;
  /** Only these database keys of the app (default: all). */
  databases?: string[];
  /** Only these tenants (default: all). `migrate` still brings the global tracks to head first; `revert` and `stamp` touch only the tenants. */
  tenants?: string[];
  /** Only these targets, by id (`app1/users/acme`, `app1/users`): the exact selection hints print. */
  targets?: string[];
  /**
   * `revert` and `stamp` on a database with a tenant track act on that track only, unless this
   * names the global track (`global`). `migrate --track global` runs only the global tracks.
   */
  track?: 'global' | 'tenant';
  /** Only share `index` of `count` of the tenant and shard targets (1-based), split by a stable hash. */
  shard?: { index: number; count: number };
  /** Targets worked on at once (default 4). */
  concurrency?: number;
  /** Most open connections per server (default: half of what the server has free, at most 10). */
  maxConnections?: number;
  /** TCP connect timeout in ms (default 10000). */
  connectTimeoutMs?: number;
  /** Overrides every database's lockWaitMs. */
  lockWaitMs?: number;
  /** Environment to resolve connections from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Receives the engine's events (progress, notices). */
  onEvent?: EventListener;
  /**
   * Stops the run cleanly when it fires (the CLI and Nx executors wire Ctrl-C and SIGTERM to it):
   * no new target starts, statements in flight are cancelled and rolled back, every target is
   * reported, the journal says `interrupted`.
   */
  signal?: AbortSignal;
  /** How often the run's heartbeat looks at the targets in flight (ms, default 5000). */
  heartbeatMs?: number;
  /** Cut a connection whose server side has waited for Fleet this long (a stalled network; ms, default 30000). */
  stallTimeoutMs?: number;
  /**
   * migrate: re-create, empty, the schema or database of a registered tenant that was migrated
   * before and is gone (default false: such a tenant is reported `missing` and left alone).
   */
  createMissing?: boolean;
}

export const DEFAULT_CONCURRENCY = 4;

/** One database of the app, connected: its global (or shard) targets and its tenant track. */
export interface ResolvedDatabase {
  db: LoadedDatabase;
  spec: ConnectionSpec;
  maintenanceDatabase: string;
  /** The database's own targets: the global track, or one per shard (only this run's share with --shard). */
  baseTargets: Target[];
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
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new ConfigError(`--concurrency must be a whole number >= 1, got ${options.concurrency}`);
    if (options.maxConnections !== undefined && (!Number.isInteger(options.maxConnections) || options.maxConnections < 1)) {
      throw new ConfigError(`--max-connections must be a whole number >= 1, got ${options.maxConnections}`);
    }
    if (
      options.shard &&
      !(Number.isInteger(options.shard.index) && Number.isInteger(options.shard.count) && options.shard.index >= 1 && options.shard.index <= options.shard.count)
    ) {
      throw new ConfigError(`--shard must be i/n with 1 <= i <= n, got ${options.shard.index}/${options.shard.count}`);
    }
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
        const baseTargets = options.targets ? allBase.filter((t) => options.targets!.includes(t.id)) : allBase;
        resolved.push({
          db,
          spec,
          maintenanceDatabase: maintenance,
          baseTargets: shardSpecs ? baseTargets.filter((t) => inShard(t.id, options.shard)) : baseTargets,
          globalTemplate: allBase[0],
          tenantMigrations: tenant,
          strategy,
          extensions,
        });
      }
      if (options.targets) {
        const known = new Set(resolved.flatMap((r) => r.baseTargets.map((t) => t.id)));
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

  /** Phase 0: every database's global track (or its shards). */
  baseTargets(): Target[] {
    return this.databases.flatMap((d) => d.baseTargets);
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
        if (!inShard(id, this.options.shard)) continue;
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

/**
 * Checks the selection options once, for the CLI, Nx and the API: a list option that is given
 * but empty (`--tenant "$TENANTS"` with the variable unset) is an error, never "everything";
 * repeated values count once.
 */
export function normalizeSelection<T extends CommonOptions>(options: T): T {
  const list = (flag: string, values: string[] | undefined): string[] | undefined => {
    if (values === undefined) return undefined;
    if (!Array.isArray(values)) throw new ConfigError(`${flag} must be a list.`);
    const clean = [...new Set(values.map((v) => String(v).trim()).filter(Boolean))];
    if (clean.length === 0) {
      throw new ConfigError(`${flag} is empty (an unset shell variable?). Name at least one, or leave ${flag} out to mean all.`, { option: flag });
    }
    return clean;
  };
  if (options.track !== undefined && options.track !== 'global' && options.track !== 'tenant') {
    throw new ConfigError(`--track must be "global" or "tenant", got ${JSON.stringify(options.track)}.`);
  }
  return { ...options, tenants: list('--tenant', options.tenants), databases: list('--database', options.databases), targets: list('--target', options.targets) };
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

/** Deterministic split of targets over CI jobs: a stable hash of the target id. */
export function inShard(targetId: string, shard: { index: number; count: number } | undefined): boolean {
  if (!shard || shard.count === 1) return true;
  const bucket = createHash('sha1').update(targetId).digest().readUInt32BE(0) % shard.count;
  return bucket === shard.index - 1;
}

function selectDatabases(config: LoadedConfig, keys: string[] | undefined): LoadedDatabase[] {
  if (!keys || keys.length === 0) return config.databases;
  const known = new Map(config.databases.map((d) => [d.key, d]));
  return keys.map((k) => {
    const db = known.get(k);
    if (!db) throw new ConfigError(`App ${config.app} has no database "${k}". Its databases: ${[...known.keys()].join(', ')}.`, { database: k });
    return db;
  });
}

function shardConnections(db: LoadedDatabase, base: ConnectionSpec, env: NodeJS.ProcessEnv): ConnectionSpec[] {
  const urls = env[db.shardUrlsEnv];
  if (urls) {
    return urls
      .split(',')
      .map((u) => u.trim())
      .filter(Boolean)
      .map((u) => {
        try {
          return parseConnectionUrl(u);
        } catch (e) {
          throw new ConfigError(`${db.shardUrlsEnv} holds an unusable URL (${(e as Error).message}).`, { variable: db.shardUrlsEnv });
        }
      });
  }
  // Shards live next to the database the connection points at: same server, their own names.
  return db.shards!.map((name) => withDatabase(base, name === db.database ? name : name.replace(db.database, base.database)));
}

interface TargetShape {
  connection: ConnectionSpec;
  schema: string;
  searchPath: string[];
  extensions: ExtensionNeeds | null;
  versionTable: string;
  migrations: MigrationDefinition[];
  tenant?: string;
  shard?: string;
  attributes?: Record<string, unknown>;
  createDatabase?: string | null;
  registration?: Target['registration'];
}

function makeTarget(config: LoadedConfig, db: LoadedDatabase, shape: TargetShape, options: CommonOptions): Target {
  const suffix = shape.tenant ?? shape.shard;
  const id = `${config.app}/${db.key}${suffix ? `/${suffix}` : ''}`;
  const settings: TargetSettings = {
    transactionMode: db.transactionMode,
    lockWaitMs: options.lockWaitMs ?? db.lockWaitMs,
    lockTimeoutMs: db.lockTimeoutMs,
    lockRetries: db.lockRetries,
    idleInTransactionTimeoutMs: db.idleInTransactionTimeoutMs,
    statementTimeoutMs: db.statementTimeoutMs,
    allowOutOfOrder: db.allowOutOfOrder,
  };
  return {
    id,
    info: {
      id,
      app: config.app,
      database: db.key,
      track: shape.tenant ? 'tenant' : 'global',
      schema: shape.schema,
      tenant: shape.tenant ?? null,
      shard: shape.shard ?? null,
      attributes: shape.attributes ?? {},
    },
    connection: shape.connection,
    versionTable: shape.versionTable,
    searchPath: shape.searchPath,
    extensions: shape.extensions,
    // A tenant schema or database that TypeORM migrated has its own `migrations` table: adopted too.
    adoptTypeormTable: db.adoptTypeormTable,
    migrations: shape.migrations,
    settings,
    phase: shape.tenant ? 1 : 0,
    registration: shape.registration ?? null,
    createDatabase: shape.createDatabase ?? null,
  };
}

/** A result for what could not become a target (a failed discovery, an unsafe tenant id). */
function pseudoResult(app: string, d: ResolvedDatabase, id: string): TargetResult {
  return blankResult({ target: id, app, database: d.db.key, schema: d.db.schema, tenant: id.split('/')[2] ?? null });
}
