import { findConfigFile, LoadedConfig, LoadedDatabase, loadConfig } from '../config/load-config';
import { ConnectionManager } from '../db/connection-manager';
import { ConnectionSpec, withDatabase } from '../db/connection-spec';
import { EmbeddedServer, startEmbeddedServer } from '../db/embedded-server';
import { resolveConnection } from '../db/resolve-connection';
import { ClientSettings, ensureDatabase, databaseExists } from '../db/server';
import { ConfigError } from '../errors';
import { combineListeners, EventListener } from '../events';
import { loadMigrationsFromDirectory } from '../migration/load-migrations';
import type { MigrationDefinition } from '../migration/migration';
import type { Target } from '../targets/target';

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
}

export const DEFAULT_CONCURRENCY = 4;

/** Everything a command needs for one run: config, targets, connections; `close()` frees it all. */
export class FleetRuntime {
  private constructor(
    readonly config: LoadedConfig,
    readonly targets: Target[],
    readonly connections: ConnectionManager,
    readonly settings: ClientSettings,
    readonly concurrency: number,
    readonly emit: EventListener,
    /** Databases that do not exist (only when opened read-only). */
    readonly missingDatabases: Set<string>,
    private readonly embedded: EmbeddedServer | undefined,
  ) {}

  static async open(options: CommonOptions, mode: { createDatabases: boolean }): Promise<FleetRuntime> {
    const workspaceRoot = options.workspaceRoot ?? process.cwd();
    const env = options.env ?? process.env;
    const emit = combineListeners(options.onEvent);
    const config =
      typeof options.config === 'object' ? options.config : loadConfig(findConfigFile(workspaceRoot, options.app, options.config), workspaceRoot);
    const databases = selectDatabases(config, options.databases);
    const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new ConfigError(`--concurrency must be a whole number >= 1, got ${options.concurrency}`);
    if (options.maxConnections !== undefined && (!Number.isInteger(options.maxConnections) || options.maxConnections < 1)) {
      throw new ConfigError(`--max-connections must be a whole number >= 1, got ${options.maxConnections}`);
    }
    const settings: ClientSettings = { applicationName: `fleet:${config.app}`, connectTimeoutMs: options.connectTimeoutMs ?? 10_000 };

    // Load every migration set before touching any server: a broken file fails fast.
    const migrations = new Map<string, MigrationDefinition[]>();
    for (const db of databases) migrations.set(db.key, loadMigrationsFromDirectory(db.migrationsDir, workspaceRoot));

    const sources = databases.map((db) => ({ db, source: resolveConnection(db, env) }));
    let embedded: EmbeddedServer | undefined;
    const connections = new ConnectionManager({ ...settings, concurrency, maxConnectionsPerServer: options.maxConnections });
    const missing = new Set<string>();
    try {
      if (sources.some((s) => s.source.kind === 'embedded')) {
        embedded = await startEmbeddedServer(workspaceRoot, env, (message) => emit({ type: 'notice', message }));
      }
      const targets: Target[] = [];
      for (const { db, source } of sources) {
        let spec: ConnectionSpec;
        let maintenance: string;
        if (source.kind === 'embedded') {
          spec = withDatabase(embedded!.spec, source.database);
          maintenance = 'postgres';
        } else if (source.kind === 'libpq') {
          spec = source.spec;
          maintenance = source.maintenanceDatabase;
        } else {
          spec = source.spec;
          maintenance = 'postgres';
        }
        if (db.createDatabase && mode.createDatabases) {
          if (await ensureDatabase(spec, settings, maintenance)) emit({ type: 'notice', message: `Created database ${spec.database}` });
        } else if (!mode.createDatabases && !(await databaseExists(spec, settings, maintenance).catch(() => true))) {
          missing.add(db.key);
        }
        targets.push(databaseTarget(config, db, spec, migrations.get(db.key)!, options));
      }
      return new FleetRuntime(config, targets, connections, settings, concurrency, emit, missing, embedded);
    } catch (err) {
      await connections.close();
      await embedded?.stop();
      throw err;
    }
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

function selectDatabases(config: LoadedConfig, keys: string[] | undefined): LoadedDatabase[] {
  if (!keys || keys.length === 0) return config.databases;
  const known = new Map(config.databases.map((d) => [d.key, d]));
  return keys.map((k) => {
    const db = known.get(k);
    if (!db) throw new ConfigError(`App ${config.app} has no database "${k}". Its databases: ${[...known.keys()].join(', ')}.`, { database: k });
    return db;
  });
}

function databaseTarget(config: LoadedConfig, db: LoadedDatabase, spec: ConnectionSpec, migrations: MigrationDefinition[], options: CommonOptions): Target {
  return {
    id: `${config.app}/${db.key}`,
    info: { id: `${config.app}/${db.key}`, app: config.app, database: db.key, track: 'default', schema: db.schema, tenant: null, attributes: {} },
    connection: spec,
    versionTable: db.versionTable,
    adoptTypeormTable: db.adoptTypeormTable,
    migrations,
    settings: {
      transactionMode: db.transactionMode,
      lockWaitMs: options.lockWaitMs ?? db.lockWaitMs,
      lockTimeoutMs: db.lockTimeoutMs,
      statementTimeoutMs: db.statementTimeoutMs,
      allowOutOfOrder: db.allowOutOfOrder,
    },
    phase: 0,
  };
}
