/**
 * `verify`'s side of the fleet index: compare what the index says of each target with what its
 * version table says, and repair the rows that differ, in one statement per database.
 *
 * Safe beside a running migrate: the index is read BEFORE the version tables, and a repair
 * replaces (or deletes) a row only if it is still the one read (same updated_at to the
 * microsecond); a row a migrate wrote meanwhile is its own truth and stays. A missing row is
 * inserted only if nobody inserted one meanwhile.
 */
import type { SqlSession } from '../db/session';
import { qualify } from '../identifiers';
import { COLUMNS, ensureFleetIndex, INDEX_META_TABLE, INDEX_TABLE, indexKey, IndexRow, RawIndexRow, sameIndexRow, toIndexRow } from './fleet-index';
import type { StringPool } from './string-pool';

/** One row the repair changed: what the index said and what the version table says. */
export interface IndexRepair {
  /** The target's id, or `<schema>.<table>` for a row no target owns (a tenant gone behind Fleet's back). */
  target: string;
  change: 'added' | 'corrected' | 'removed';
  /** What the index said (null: no row). */
  was: IndexSummary | null;
  /** What the version table says (null: no history: the row is removed). */
  now: IndexSummary | null;
}

/** A row as people read it. */
export interface IndexSummary {
  head: string | null;
  applied: number;
  skipped: number;
  started: string | null;
}

/**
 * Opens an index for a proof: creates it when the database has none (an older Fleet migrated it:
 * every row the proof writes is then `built`), and notes the server's clock: a row written later
 * is newer than the proof, never removed by it.
 */
export async function openIndexProof(session: SqlSession, indexSchema: string): Promise<{ built: boolean; since: string }> {
  const [found] = await session.query<{ exists: boolean }>('SELECT pg_catalog.to_regclass($1) IS NOT NULL AND pg_catalog.to_regclass($2) IS NOT NULL AS exists', [
    qualify(indexSchema, INDEX_TABLE),
    qualify(indexSchema, INDEX_META_TABLE),
  ]);
  if (!found.exists) await ensureFleetIndex(session, indexSchema);
  const [now] = await session.query<{ since: string }>('SELECT pg_catalog.clock_timestamp()::text AS since');
  return { built: !found.exists, since: now.since };
}

/** The version tables a proof reads the rows of, as two parallel arrays (schemas, tables): one parameter each. */
export interface IndexKeys {
  schemas: string[];
  tables: string[];
}

/**
 * The rows of these version tables (a slice of targets), read before their version tables: one
 * probe of the primary key per version table name (`schema = ANY(...)`, one index scan; a join
 * on unnest() made a bitmap scan per row, 3x slower at 4000 rows).
 */
export async function readIndexRows(session: SqlSession, indexSchema: string, keys: IndexKeys, strings: StringPool): Promise<Map<string, IndexRow>> {
  const byTable = new Map<string, string[]>();
  keys.tables.forEach((table, i) => {
    const list = byTable.get(table);
    if (list) list.push(keys.schemas[i]);
    else byTable.set(table, [keys.schemas[i]]);
  });
  const rows = new Map<string, IndexRow>();
  for (const [table, schemas] of byTable) {
    const raw = await session.query<RawIndexRow>(`SELECT ${SELECTED} FROM ${qualify(indexSchema, INDEX_TABLE)} i WHERE i.schema = ANY($1::text[]) AND i.version_table = $2`, [
      schemas,
      table,
    ]);
    for (const [k, row] of rowsOf(raw, strings)) rows.set(k, row);
  }
  return rows;
}

/** The rows of no listed version table that were there before `since`: rows of tenants gone behind Fleet's back. */
export async function readUnownedRows(session: SqlSession, indexSchema: string, keys: IndexKeys, since: string, strings: StringPool): Promise<Map<string, IndexRow>> {
  return rowsOf(
    await session.query<RawIndexRow>(
      `SELECT ${SELECTED} FROM ${qualify(indexSchema, INDEX_TABLE)} i
         WHERE i.updated_at < $3::timestamptz
           AND NOT EXISTS (SELECT 1 FROM unnest($1::text[], $2::text[]) AS k(schema, version_table) WHERE i.schema = k.schema AND i.version_table = k.version_table)`,
      [keys.schemas, keys.tables, since],
    ),
    strings,
  );
}

const SELECTED = `i.schema, i.version_table, ${COLUMNS.split(', ')
  .map((c) => `i.${c}`)
  .join(', ')}, i.updated_at::text AS updated_at, false AS since_verify`;

function rowsOf(raw: RawIndexRow[], strings: StringPool): Map<string, IndexRow> {
  const rows = new Map<string, IndexRow>();
  for (const r of raw) rows.set(indexKey(r.schema!, r.version_table), toIndexRow(r, strings));
  return rows;
}

/** What the version table of a target says, as an index row (null: no history, no row wanted). */
export interface IndexTruth {
  target: string;
  schema: string;
  versionTable: string;
  row: IndexRow | null;
}

/**
 * The repairs that make `indexed` (read before the version tables) say what `truths` say. With
 * `whole`, rows of no listed target are removed (the run covered every target of the database).
 */
export function planRepairs(indexed: ReadonlyMap<string, IndexRow>, truths: readonly IndexTruth[], whole: boolean): Array<IndexRepair & { key: IndexRow; seen: string | null }> {
  const out: Array<IndexRepair & { key: IndexRow; seen: string | null }> = [];
  const owned = new Set<string>();
  for (const t of truths) {
    const k = indexKey(t.schema, t.versionTable);
    owned.add(k);
    const old = indexed.get(k) ?? null;
    const want = t.row && (t.row.done > 0 || t.row.started !== null) ? t.row : null;
    const oldEmpty = old === null || (old.done === 0 && old.started === null);
    if (want === null && oldEmpty) continue;
    if (want !== null && old !== null && sameIndexRow(old, want)) continue;
    out.push({
      target: t.target,
      change: old === null ? 'added' : want === null ? 'removed' : 'corrected',
      was: old && summary(old),
      now: want && summary(want),
      key: want ?? old!,
      seen: old?.updatedAt ?? null,
    });
  }
  if (whole) {
    for (const [k, old] of indexed) {
      if (owned.has(k)) continue;
      out.push({ target: `${old.schema}.${old.versionTable}`, change: 'removed', was: summary(old), now: null, key: old, seen: old.updatedAt });
    }
  }
  return out;
}

/**
 * Applies the repairs (written by `by`) and, with `stamp`, records the verification (when, by
 * whom, how many rows were repaired): one statement. Returns how many rows were changed (a row a migrate rewrote
 * meanwhile is left alone and not counted).
 */
export async function applyRepairs(
  session: SqlSession,
  indexSchema: string,
  repairs: ReadonlyArray<IndexRepair & { key: IndexRow; seen: string | null }>,
  by: string,
  stamp: boolean,
): Promise<number> {
  const index = qualify(indexSchema, INDEX_TABLE);
  const rows = repairs.map((r) => ({
    schema: r.key.schema,
    version_table: r.key.versionTable,
    head: r.key.head,
    applied: r.key.applied,
    done: r.key.done,
    skipped: r.key.skipped,
    started: r.key.started,
    digest: r.key.digest,
    seen: r.seen,
    remove: r.now === null,
  }));
  const [result] = await session.query<{ changed: number }>(
    `WITH r AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(schema text, version_table text, head text, applied int, done int,
         skipped text[], started text, digest text, seen timestamptz, remove boolean)),
     corrected AS (
       UPDATE ${index} i SET head = r.head, applied = r.applied, done = r.done, skipped = r.skipped, started = r.started,
         digest = r.digest, updated_at = clock_timestamp(), updated_by = $2
         FROM r WHERE NOT r.remove AND r.seen IS NOT NULL AND i.schema = r.schema AND i.version_table = r.version_table AND i.updated_at = r.seen
       RETURNING 1),
     added AS (
       INSERT INTO ${index} (schema, version_table, head, applied, done, skipped, started, digest, updated_by)
       SELECT r.schema, r.version_table, r.head, r.applied, r.done, r.skipped, r.started, r.digest, $2 FROM r WHERE NOT r.remove AND r.seen IS NULL
       ON CONFLICT DO NOTHING
       RETURNING 1),
     removed AS (
       DELETE FROM ${index} i USING r WHERE r.remove AND i.schema = r.schema AND i.version_table = r.version_table AND i.updated_at = r.seen
       RETURNING 1),
     stamped AS (
       UPDATE ${qualify(indexSchema, INDEX_META_TABLE)} SET verified_at = now(), verified_by = $2, repaired = $3 WHERE $4::boolean
       RETURNING 1)
     SELECT ((SELECT count(*) FROM corrected) + (SELECT count(*) FROM added) + (SELECT count(*) FROM removed))::int AS changed,
            (SELECT count(*) FROM stamped)::int AS stamped`,
    [JSON.stringify(rows), by, repairs.length, stamp],
  );
  return result.changed;
}

function summary(row: IndexRow): IndexSummary {
  return { head: row.head, applied: row.applied, skipped: row.skipped.length, started: row.started };
}
