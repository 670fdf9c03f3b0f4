/**
 * Targets from the config: which databases a run takes, where a sharded database's shards are,
 * and the Target object (id, info, connection, search_path, settings) of a database, a shard or
 * a tenant. No I/O.
 */
import { createHash } from 'node:crypto';
import type { LoadedConfig, LoadedDatabase } from '../config/load-config';
import type { ConnectionSpec } from '../db/connection-spec';
import { describeConnection, parseConnectionUrl, withDatabase } from '../db/connection-spec';
import { ConfigError } from '../errors';
import type { ExtensionNeeds } from '../extensions/extensions';
import type { MigrationDefinition } from '../migration/migration';
import { NO_ATTRIBUTES, type Target, type TargetSettings } from '../targets/target';
import type { CommonOptions } from './options';

/** Deterministic split of targets over CI jobs (`--slice i/n`): a stable hash of the target id. */
export function inSlice(targetId: string, slice: { index: number; count: number } | undefined): boolean {
  if (!slice || slice.count === 1) return true;
  const bucket = createHash('sha1').update(targetId).digest().readUInt32BE(0) % slice.count;
  return bucket === slice.index - 1;
}

export function selectDatabases(config: LoadedConfig, keys: string[] | undefined): LoadedDatabase[] {
  if (!keys || keys.length === 0) return config.databases;
  const known = new Map(config.databases.map((d) => [d.key, d]));
  return keys.map((k) => {
    const db = known.get(k);
    if (!db) throw new ConfigError(`App ${config.app} has no database "${k}". Its databases: ${[...known.keys()].join(', ')}.`, { database: k });
    return db;
  });
}

/** The shards `<APP>_<KEY>_SHARD_URLS` lists, or null when it is not set. */
export function shardUrls(db: LoadedDatabase, env: NodeJS.ProcessEnv): ConnectionSpec[] | null {
  const urls = db.shards ? env[db.shardUrlsEnv] : undefined;
  if (!urls) return null;
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

export function shardConnections(db: LoadedDatabase, base: ConnectionSpec, env: NodeJS.ProcessEnv): ConnectionSpec[] {
  // Without URLs, shards live next to the database the connection points at: same server, their own names.
  return shardUrls(db, env) ?? db.shards!.map((name) => withDatabase(base, name === db.database ? name : name.replace(db.database, base.database)));
}

/** A shard and the name its target id ends with. */
export interface NamedShard {
  spec: ConnectionSpec;
  name: string;
}

/**
 * The name of each shard in its target id: its database's name, as always; only where shards on
 * different servers share a database name, `<database>@<host>:<port>` for each of them (two
 * servers never share a target id). The same database listed twice (one server, two spellings)
 * is refused. `serverOf` says which server a spec reaches (asked only where names collide).
 */
export async function nameShards(db: LoadedDatabase, shards: ConnectionSpec[], serverOf: (spec: ConnectionSpec) => Promise<string>): Promise<NamedShard[]> {
  const byName = new Map<string, ConnectionSpec[]>();
  for (const spec of shards) byName.set(spec.database, [...(byName.get(spec.database) ?? []), spec]);
  const clashing = new Set<ConnectionSpec>();
  for (const [name, specs] of byName) {
    if (specs.length < 2) continue;
    const seen = new Map<string, ConnectionSpec>();
    for (const spec of specs) {
      const server = await serverOf(spec);
      const twin = seen.get(server);
      if (twin) {
        throw new ConfigError(
          `${db.shardUrlsEnv} lists database ${name} twice on one server (${describeConnection(twin)} and ${describeConnection(spec)} reach the same server): list each shard once.`,
          { variable: db.shardUrlsEnv, database: name },
        );
      }
      seen.set(server, spec);
      clashing.add(spec);
    }
  }
  return shards.map((spec) => ({ spec, name: clashing.has(spec) ? `${spec.database}@${encodeURIComponent(spec.host)}:${spec.port}` : spec.database }));
}

export interface TargetShape {
  connection: ConnectionSpec;
  schema: string;
  sharedSearchPath: readonly string[];
  extensions: ExtensionNeeds | null;
  versionTable: string;
  migrations: MigrationDefinition[];
  tenant?: string;
  shard?: string;
  attributes?: Record<string, unknown>;
  createDatabase?: string | null;
  registration?: Target['registration'];
  /** Where the target's fleet index row lives (default: its own schema when the database has tenants or shards). */
  indexSchema?: string;
}

/** Each database's target settings, one frozen object shared by its targets (10,000 tenants held 10,000 copies). */
const sharedSettings = new WeakMap<LoadedDatabase, Readonly<TargetSettings>>();

function settingsOf(db: LoadedDatabase, options: CommonOptions): TargetSettings {
  const lockWaitMs = options.lockWaitMs ?? db.lockWaitMs;
  const known = sharedSettings.get(db);
  if (known?.lockWaitMs === lockWaitMs) return known;
  const settings: TargetSettings = Object.freeze({
    transactionMode: db.transactionMode,
    lockWaitMs,
    lockTimeoutMs: db.lockTimeoutMs,
    retries: db.retries,
    idleInTransactionTimeoutMs: db.idleInTransactionTimeoutMs,
    statementTimeoutMs: db.statementTimeoutMs,
    allowOutOfOrder: db.allowOutOfOrder,
  });
  sharedSettings.set(db, settings);
  return settings;
}

export function makeTarget(config: LoadedConfig, db: LoadedDatabase, shape: TargetShape, options: CommonOptions): Target {
  const suffix = shape.tenant ?? shape.shard;
  // Joined, not a template literal: a template literal leaves a chain of concatenated strings that
  // a Map lookup flattens into a second copy (two strings per target id).
  const id = suffix ? [config.app, db.key, suffix].join('/') : `${config.app}/${db.key}`;
  const settings = settingsOf(db, options);
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
      attributes: shape.attributes ?? NO_ATTRIBUTES,
    },
    connection: shape.connection,
    versionTable: shape.versionTable,
    // A database with tenants or shards keeps a fleet index; a plain database is one target and needs none.
    indexSchema: shape.indexSchema ?? (db.tenants || db.shards ? shape.schema : null),
    sharedSearchPath: shape.sharedSearchPath,
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
