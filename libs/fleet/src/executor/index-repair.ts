/**
 * INVALID indexes: a CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY that fails (lock timeout,
 * cancelled, a duplicate key, a lost connection) leaves its index behind with
 * pg_index.indisvalid = false (REINDEX: the `<name>_ccnew` copy). It is never used by queries
 * yet still maintained on every write, and the migration's next try fails on its name. Fleet
 * notes the schema's INVALID indexes before a non-transactional migration first runs; after a
 * failure, the INVALID ones that appeared since (and that no session is building right now) are
 * the migration's own: they are dropped with DROP INDEX CONCURRENTLY.
 */
import type { SqlSession } from '../db/session';
import { qualify } from '../identifiers';

export interface InvalidIndex {
  oid: number;
  schema: string;
  index: string;
  table: string;
}

/**
 * The INVALID indexes of these schemas, except those a session is building right now (a
 * concurrent build's index is INVALID until it ends: pg_stat_progress_create_index names it).
 */
export async function invalidIndexes(session: SqlSession, schemas: readonly string[]): Promise<InvalidIndex[]> {
  return session.query<InvalidIndex>(
    `SELECT i.indexrelid::int8::float8 AS oid, n.nspname AS schema, c.relname AS index, t.relname AS "table"
       FROM pg_catalog.pg_index i
       JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
       JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT i.indisvalid AND n.nspname = ANY ($1::text[])
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_progress_create_index p WHERE p.index_relid = i.indexrelid)
      ORDER BY n.nspname, c.relname`,
    [schemas],
  );
}

/**
 * Drops the INVALID indexes of `schema` that are not in `before` (the oids seen before the
 * migration first ran), one DROP INDEX CONCURRENTLY each (it waits for nobody's snapshot, only for
 * the sessions using the table, under the session's lock_timeout). Returns those dropped; a drop
 * that fails throws (the caller tries again before the next attempt, or reports the index left).
 */
export async function dropNewInvalidIndexes(session: SqlSession, schema: string, before: ReadonlySet<number>, dropped: (index: InvalidIndex) => void): Promise<InvalidIndex[]> {
  const found = (await invalidIndexes(session, [schema])).filter((i) => !before.has(Number(i.oid)));
  for (const index of found) {
    await session.query(`DROP INDEX CONCURRENTLY IF EXISTS ${qualify(index.schema, index.index)}`);
    dropped(index);
  }
  return found;
}
