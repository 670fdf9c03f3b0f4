/**
 * The take without a run's runtime: a sign-up handler calls createTenant() again and again in one
 * process, and opening a runtime each time (its DataSource, every migration file loaded and
 * hashed again, the database checks) costs far more than the take itself. Here, per process:
 * the config is loaded once by the module loader's cache, each migrations directory is loaded
 * again only when a file in it changed (names, sizes, mtimes), and the home database is reached
 * through a small pg pool (at most 2 connections, closed after 2 s idle, never holding the
 * process open). Used when the connection comes from a URL or the libpq variables; otherwise
 * (the embedded server) createTenant takes from the pool inside its runtime.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'pg';
import { findConfigFile, LoadedConfig, LoadedDatabase, loadConfig } from '../config/load-config';
import { databaseKey, withDatabase } from '../db/connection-spec';
import type { ConnectionSpec } from '../db/connection-spec';
import { resolveConnection } from '../db/resolve-connection';
import { clientConfig, withClient } from '../db/server';
import type { SqlSession } from '../db/session';
import { emptyResult, RunReport, summarize } from '../executor/result';
import { loadMigrationsFromDirectory } from '../migration/load-migrations';
import type { MigrationDefinition } from '../migration/migration';
import { recordInLedger } from '../tenancy/presence';
import { takeSpare } from '../tenancy/spare-pool';
import type { SpareSessions } from '../tenancy/spare-kinds';
import { tenancyStrategy } from '../tenancy/strategy';
import type { CommonOptions } from './options';
import type { PoolTake } from './pool-onboard';
import { makeTarget } from './targets';
import { NO_SHARED_SCHEMAS } from '../targets/target';

const loaded = new Map<string, { signature: string; migrations: MigrationDefinition[] }>();

/** A directory's migrations, loaded again only when its files changed. */
function migrationsOf(dir: string, workspaceRoot: string): MigrationDefinition[] {
  let signature: string;
  try {
    signature = readdirSync(dir)
      .sort()
      .map((f) => {
        const st = statSync(join(dir, f));
        return `${f}:${st.size}:${st.mtimeMs}`;
      })
      .join('\n');
  } catch {
    signature = '';
  }
  const hit = loaded.get(dir);
  if (hit && signature && hit.signature === signature) return hit.migrations;
  const migrations = loadMigrationsFromDirectory(dir, workspaceRoot);
  loaded.set(dir, { signature, migrations });
  return migrations;
}

const pools = new Map<string, Pool>();

function poolFor(spec: ConnectionSpec, applicationName: string, connectTimeoutMs: number): Pool {
  const key = databaseKey(spec);
  let pool = pools.get(key);
  if (!pool) {
    pool = new Pool({ ...clientConfig(spec, { applicationName, connectTimeoutMs }), max: 2, idleTimeoutMillis: 2_000, allowExitOnIdle: true });
    pool.on('error', () => undefined); // an idle connection that dies is replaced on the next take
    pools.set(key, pool);
  }
  return pool;
}

/** The tenant database of a config (the one named, or the only one with a pool), or null. */
function pooledDatabase(config: LoadedConfig, key: string | undefined): LoadedDatabase | null {
  const candidates = config.databases.filter((d) => d.tenants && (key === undefined || d.key === key));
  const d = candidates.length === 1 ? candidates[0] : null;
  return d && d.tenants!.pool.size > 0 && d.tenants!.registry && !d.shards ? d : null;
}

/**
 * Takes a spare for the tenant without opening a runtime. Null: this config cannot take this way
 * (no pool, the embedded server, several tenant databases...): createTenant goes on as usual.
 */
export async function takeFast(
  options: CommonOptions,
  database: string | undefined,
  id: string,
  attributes: Record<string, string | number | boolean | null>,
): Promise<(PoolTake & { location: string }) | { fallback: string } | null> {
  const startedAt = new Date();
  const root = options.workspaceRoot ?? process.cwd();
  const config = typeof options.config === 'object' ? options.config : loadConfig(findConfigFile(root, options.app, options.config), root);
  const db = pooledDatabase(config, database);
  if (!db) return null;
  const source = resolveConnection(db, options.env ?? process.env);
  if (source.kind === 'embedded') return null;
  const tenants = db.tenants!;
  const spec = source.spec;
  const migrations = migrationsOf(tenants.migrationsDir, root);
  const global = migrationsOf(db.migrationsDir, root);
  const strategy = tenancyStrategy(tenants);
  const maintenanceDatabase = source.kind === 'libpq' ? source.maintenanceDatabase : 'postgres';
  const location = strategy.locate({ spec, maintenanceDatabase, tenants }, id, { createDatabases: false });
  const place = strategy.locationName(location);
  const target = makeTarget(
    config,
    db,
    {
      connection: location.connection,
      schema: location.schema,
      sharedSearchPath: NO_SHARED_SCHEMAS,
      extensions: null,
      versionTable: tenants.versionTable,
      migrations,
      tenant: id,
      attributes,
    },
    options,
  );
  const settings = { applicationName: (options.applicationName ?? 'fleet:{app}').replace('{app}', config.app), connectTimeoutMs: options.connectTimeoutMs ?? 10_000 };
  const pool = poolFor(spec, settings.applicationName, settings.connectTimeoutMs);
  // A spare database's history is read on a session of its own, closed before the rename (this path keeps no pool to it).
  const on = <T>(database: string, fn: (session: SqlSession) => Promise<T>) =>
    withClient(withDatabase(spec, database), settings, (c) => fn({ query: async (sql, params) => (await c.query(sql, params as unknown[] | undefined)).rows }));
  const sessions: SpareSessions = { database: spec.database, onDatabase: on, onMaintenance: (fn) => on(maintenanceDatabase, fn), release: async () => [] };
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const session: SqlSession = { query: async (sql, params) => (await client.query(sql, params as unknown[] | undefined)).rows };
    let outcome;
    try {
      outcome = await takeSpare(session, {
        kind: strategy.spares,
        sessions,
        globalSchema: db.schema,
        versionTable: tenants.versionTable,
        indexSchema: strategy.indexSchema(db.schema, location),
        global: { schema: db.schema, versionTable: db.versionTable, migrations: global },
        place,
        tenantSchema: location.schema,
        migrations,
        info: target.info,
        registry: tenants.registry!,
        id,
        attributes,
      });
    } catch (err) {
      // An attribute the registry has no column for (42703): the full path says so, with the fix.
      if ((err as { code?: string }).code === '42703') return { fallback: `the registry has no column for an attribute given` };
      broken = err as Error;
      throw err;
    }
    if (!('taken' in outcome)) return outcome;
    // As after a full track: the ledger knows the tenant exists (a later loss is `missing`, not new).
    await recordInLedger(session, db.schema, [id], () => place).catch(() => undefined);
    const result = emptyResult(target);
    result.outcome = 'changed';
    result.applied = outcome.applied;
    result.versionAfter = outcome.applied.at(-1) ?? null;
    result.durationMs = Date.now() - startedAt.getTime();
    const report: RunReport = {
      command: 'tenant create',
      ok: true,
      startedAt: startedAt.toISOString(),
      durationMs: result.durationMs,
      summary: summarize([result]),
      results: [result],
    };
    return { spare: outcome.taken, applied: outcome.applied, report, location: place };
  } finally {
    client.release(broken);
  }
}
