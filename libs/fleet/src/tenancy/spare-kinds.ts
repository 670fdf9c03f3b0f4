/**
 * What a spare of the tenant pool is for each tenancy strategy (tenancy/spare-pool.ts runs the
 * pool; this file holds what differs): a spare schema in the home database, or a spare database
 * on the home database's server. Each strategy carries one of these (`TenancyStrategy.spares`),
 * so the pool's code never asks which strategy it serves.
 *
 * A spare database is renamed into the tenant's (`ALTER DATABASE ... RENAME`), not cloned with
 * `CREATE DATABASE ... TEMPLATE`: a rename is a catalog update of a few ms inside the take's
 * transaction, a clone copies the template (~105 ms p50 idle) and needs no session on it.
 * PostgreSQL refuses the rename while any session uses the spare (55006, after waiting up to 5 s
 * for them to leave): the take looks at pg_stat_activity first and skips a spare in use.
 */
import type { ConnectionSpec } from '../db/connection-spec';
import { withDatabase } from '../db/connection-spec';
import type { SqlSession } from '../db/session';
import { qualify, quoteIdent } from '../identifiers';
import { LockKey, targetLockKey } from '../locking/target-lock';
import { INDEX_TABLE, removeFromIndex } from '../storage/fleet-index';

/** The schema of a tenant database (and of a spare database) that holds its tables and its version table. */
export const TENANT_DATABASE_SCHEMA = 'public';

/** A version row as the take compares it with the code. */
export interface SpareHistoryRow {
  name: string;
  status: string;
  checksum: string | null;
}

/** The sessions a take or a discard may need besides the home database's (each short-lived). */
export interface SpareSessions {
  /** The home database's name (lock keys). */
  database: string;
  /** Runs fn on a session of another database of the home server, opened and closed around it. */
  onDatabase<T>(database: string, fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /** Runs fn on a session of the maintenance database (outside the home transaction). */
  onMaintenance<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /** Closes any pool of connections the caller holds to this database (before a rename or a drop); the backend pids it had. */
  release(database: string): Promise<number[]>;
}

/** One take's names: the spare, the tenant's place (schema or database), where the version table is. */
export interface SpareTakeNames {
  spare: string;
  place: string;
  /** The tenant's schema (its version table's): the place itself, or `public` inside a tenant database. */
  tenantSchema: string;
  versionTable: string;
  globalSchema: string;
  /** Where a tenant's fleet index row lives. */
  indexSchema: string;
}

export interface SpareKind {
  /** What a spare (and a tenant) is, in messages. */
  readonly noun: 'schema' | 'database';
  /** Where a spare lives: its own schema in the home database, or its own database on the home server. */
  location(home: { spec: ConnectionSpec; maintenanceDatabase: string; createDatabase: boolean }, name: string): SpareLocation;
  /** Whether the tenant's place exists already (in the take's transaction, on the home session). */
  placeExists(home: SqlSession, place: string): Promise<boolean>;
  /** The spare's history; `busy`: something works on it (a migrate, a session); null: it has no version table yet. */
  readHistory(home: SqlSession, s: SpareSessions, n: SpareTakeNames): Promise<SpareHistoryRow[] | 'busy' | null>;
  /** Renames the spare into the tenant's place in the take's transaction (a savepoint is around it); `busy`: in use; `exists`: the place appeared meanwhile. */
  rename(home: SqlSession, n: SpareTakeNames): Promise<'renamed' | 'busy' | 'exists'>;
  /**
   * Writes the skipped rows' reasons in the tenant's words: `inTake` on the home session before
   * COMMIT (schema), or after it on a session of the new tenant database (database).
   */
  writeReasons(home: SqlSession, s: SpareSessions, n: SpareTakeNames, reasons: Array<[string, string]>, when: 'inTake' | 'afterCommit'): Promise<void>;
  /** Drops a spare whose pool row the home transaction holds locked. */
  drop(home: SqlSession, s: SpareSessions, n: Pick<SpareTakeNames, 'spare' | 'versionTable' | 'globalSchema'>): Promise<void>;
}

export interface SpareLocation {
  connection: ConnectionSpec;
  schema: string;
  /** Create the spare's database first, through this maintenance database (null: never). */
  createDatabase: string | null;
}

const setReasons = (table: string) => `UPDATE ${table} v SET reason = u.reason FROM unnest($1::text[], $2::text[]) AS u(name, reason) WHERE v.name = u.name`;

const readRows = (session: SqlSession, table: string) => session.query<SpareHistoryRow>(`SELECT name, status, checksum FROM ${table} ORDER BY seq`);

export const schemaSpares: SpareKind = {
  noun: 'schema',
  location: (home, name) => ({ connection: home.spec, schema: name, createDatabase: null }),
  async placeExists(home, place) {
    return (await home.query('SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1', [place])).length > 0;
  },
  async readHistory(home, s, n) {
    // A migrate working on the spare holds its target lock (in the home database): skip it, never wait.
    const key: LockKey = targetLockKey(s.database, n.spare, n.versionTable);
    const [row] = await home.query<{ locked: boolean; has_table: boolean }>(
      'SELECT pg_catalog.pg_try_advisory_xact_lock($1::int4, $2::int4) AS locked, pg_catalog.to_regclass($3) IS NOT NULL AS has_table',
      [key.classId, key.objectId, qualify(n.spare, n.versionTable)],
    );
    if (!row.locked) return 'busy';
    return row.has_table ? readRows(home, qualify(n.spare, n.versionTable)) : null;
  },
  async rename(home, n) {
    try {
      await home.query(`ALTER SCHEMA ${quoteIdent(n.spare)} RENAME TO ${quoteIdent(n.place)}`);
    } catch (err) {
      // 42P06: the tenant's schema appeared meanwhile, made outside Fleet (a Fleet create holds the tenant's lock).
      if ((err as { code?: string }).code === '42P06') return 'exists';
      throw err;
    }
    // The fleet index row (storage/fleet-index.ts) is in the home database: it follows the schema, in the same transaction.
    const index = qualify(n.indexSchema, INDEX_TABLE);
    const [idx] = await home.query<{ exists: boolean }>('SELECT pg_catalog.to_regclass($1) IS NOT NULL AS exists', [index]);
    if (idx.exists) await home.query(`UPDATE ${index} SET schema = $1 WHERE schema = $2 AND version_table = $3`, [n.place, n.spare, n.versionTable]);
    return 'renamed';
  },
  async writeReasons(home, _s, n, reasons, when) {
    if (when !== 'inTake' || reasons.length === 0) return;
    await home.query(setReasons(qualify(n.place, n.versionTable)), [reasons.map((r) => r[0]), reasons.map((r) => r[1])]);
  },
  async drop(home, _s, n) {
    await home.query(`DROP SCHEMA IF EXISTS ${quoteIdent(n.spare)} CASCADE`);
    await removeFromIndex(home, n.globalSchema, n.spare, n.versionTable);
  },
};

export const databaseSpares: SpareKind = {
  noun: 'database',
  // Like a tenant database: its own schema (`public`) holds the version table and the fleet index row, which go with the rename.
  location: (home, name) => ({
    connection: withDatabase(home.spec, name),
    schema: TENANT_DATABASE_SCHEMA,
    createDatabase: home.createDatabase ? home.maintenanceDatabase : null,
  }),
  async placeExists(home, place) {
    return (await home.query('SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1', [place])).length > 0;
  },
  async readHistory(home, s, n) {
    // The caller's own pool of it first (a long-lived process); then any other session (a migrate filling it, another
    // process) makes the rename wait up to 5 s and fail: skip it now.
    if (await inUse(home, n.spare, await s.release(n.spare))) return 'busy';
    const table = qualify(n.tenantSchema, n.versionTable);
    // This session is closed before the rename (which waits the moment its backend takes to exit).
    // A spare database that cannot be read (dropped behind Fleet's back, not made yet) is skipped: the next migrate replaces it.
    return s
      .onDatabase(n.spare, async (session) => {
        const [t] = await session.query<{ exists: boolean }>('SELECT pg_catalog.to_regclass($1) IS NOT NULL AS exists', [table]);
        return t.exists ? readRows(session, table) : null;
      })
      .catch(() => null);
  },
  async rename(home, n) {
    try {
      await home.query(`ALTER DATABASE ${quoteIdent(n.spare)} RENAME TO ${quoteIdent(n.place)}`);
      return 'renamed';
    } catch (err) {
      // 55006: a session connected meanwhile; 42P04: the tenant's database appeared meanwhile (the caller's savepoint undoes the attempt).
      const code = (err as { code?: string }).code;
      if (code === '55006') return 'busy';
      if (code === '42P04') return 'exists';
      throw err;
    }
  },
  async writeReasons(_home, s, n, reasons, when) {
    if (when !== 'afterCommit' || reasons.length === 0) return;
    await s.onDatabase(n.place, (session) => session.query(setReasons(qualify(n.tenantSchema, n.versionTable)), [reasons.map((r) => r[0]), reasons.map((r) => r[1])]));
  },
  async drop(_home, s, n) {
    await s.release(n.spare);
    // DROP DATABASE cannot run in a transaction block: on the maintenance database, while the home transaction holds the row.
    await s.onMaintenance((session) => session.query(`DROP DATABASE IF EXISTS ${quoteIdent(n.spare)} WITH (FORCE)`));
  },
};

/**
 * Whether another session uses the database. The backends of the connections just closed
 * (`closed`, from `release`) leave pg_stat_activity a moment after their client hung up, longer on
 * a loaded server: they are waited for up to 5 s, as long as PostgreSQL's own rename waits. Any
 * other session gets 500 ms (one that is ending) before the database counts as in use.
 * `home` is inside the take's transaction, where pg_stat_activity answers from a snapshot taken
 * at its first read: each look clears it first, or every look would see the first one's sessions.
 */
async function inUse(home: SqlSession, database: string, closed: readonly number[]): Promise<boolean> {
  const started = Date.now();
  for (;;) {
    await home.query('SELECT pg_catalog.pg_stat_clear_snapshot()');
    const rows = await home.query<{ pid: number }>('SELECT pid FROM pg_catalog.pg_stat_activity WHERE datname = $1', [database]);
    if (rows.length === 0) return false;
    const patience = rows.some((r) => !closed.includes(r.pid)) ? 500 : 5000;
    if (Date.now() - started >= patience) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
