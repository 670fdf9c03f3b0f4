/**
 * Targets from the config: which databases a run takes, where a sharded database's shards are,
 * and the Target object (id, info, connection, search_path, settings) of a database, a shard or
 * a tenant. No I/O.
 */
import { createHash } from 'node:crypto';
import type { LoadedConfig, LoadedDatabase } from '../config/load-config';
import type { ConnectionSpec } from '../db/connection-spec';
import { parseConnectionUrl, withDatabase } from '../db/connection-spec';
import { ConfigError } from '../errors';
import type { ExtensionNeeds } from '../extensions/extensions';
import type { MigrationDefinition } from '../migration/migration';
import type { Target, TargetSettings } from '../targets/target';
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

export function shardConnections(db: LoadedDatabase, base: ConnectionSpec, env: NodeJS.ProcessEnv): ConnectionSpec[] {
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

export interface TargetShape {
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

export function makeTarget(config: LoadedConfig, db: LoadedDatabase, shape: TargetShape, options: CommonOptions): Target {
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
