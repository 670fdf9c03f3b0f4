/**
 * The fleet index: per database, one row per version table (target) saying where it stands, so
 * that `status` reads one table instead of every target's history.
 *
 *   <global schema>.fleet_index       (schema, version_table) -> head, applied, done, skipped,
 *                                     started, digest, updated_at, updated_by
 *   <global schema>.fleet_index_meta  one row: created_at, verified_at, verified_by, repaired
 *
 * A row is written by the statement that changes the target's version table (see
 * PostgresVersionStore): same statement, same transaction, so a rolled-back migration leaves the
 * row as it was. Its values are computed by the server from the version table itself
 * (INDEX_AGGREGATES), never from what the client believes. `digest` is the md5 of every done
 * record (applied or skipped) in the order recorded, `name \n checksum` joined by `\n`: equal to
 * the digest of the code's first `done` migrations exactly when the target holds those migrations,
 * in that order, with those checksums (see fromIndex). `verify` recomputes every row from the
 * version tables (index-verify.ts) and repairs what differs.
 */
import { createHash } from 'node:crypto';
import type { SqlSession } from '../db/session';
import { qualify, quoteIdent } from '../identifiers';
import type { MigrationDefinition } from '../migration/migration';
import type { AppliedRecord } from '../planner/planner';
import { intern, internNullable, StringPool } from './string-pool';

export const INDEX_TABLE = 'fleet_index';
export const INDEX_META_TABLE = 'fleet_index_meta';

/** What the index says of one target. */
export interface IndexRow {
  schema: string;
  versionTable: string;
  /** The last applied migration, in the order recorded. */
  head: string | null;
  applied: number;
  /** Applied or skipped. */
  done: number;
  skipped: string[];
  /** The first migration left `started` (a non-transactional migration interrupted or failed), or null. */
  started: string | null;
  digest: string;
  /** The server's exact text of updated_at (verify's repairs only replace the row they read). */
  updatedAt: string | null;
  /** Written since the index was last verified (true when it never was). */
  sinceVerify: boolean;
}

export interface IndexMeta {
  createdAt: string;
  verifiedAt: string | null;
  verifiedBy: string | null;
  /** Rows the last verify repaired. */
  repaired: number | null;
}

/**
 * The index's values from rows (name, seq, checksum, status) of one version table, as SQL
 * aggregates: used by every write, so the index never depends on what the client believes.
 */
export const INDEX_AGGREGATES = `
  (array_agg(name ORDER BY seq DESC) FILTER (WHERE status = 'applied'))[1] AS head,
  count(*) FILTER (WHERE status = 'applied')::int AS applied,
  count(*) FILTER (WHERE status <> 'started')::int AS done,
  coalesce(array_agg(name ORDER BY seq) FILTER (WHERE status = 'skipped'), '{}') AS skipped,
  (array_agg(name ORDER BY seq) FILTER (WHERE status = 'started'))[1] AS started,
  md5(coalesce(string_agg(name || E'\\n' || coalesce(checksum, ''), E'\\n' ORDER BY seq) FILTER (WHERE status <> 'started'), '')) AS digest`;

export const COLUMNS = 'head, applied, done, skipped, started, digest';

/** Creates the index tables (and the schema) if missing: one round trip, safe when two runs race. */
export async function ensureFleetIndex(session: SqlSession, schema: string): Promise<void> {
  const sql = `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)};
    CREATE TABLE IF NOT EXISTS ${qualify(schema, INDEX_TABLE)} (
      schema text NOT NULL,
      version_table text NOT NULL,
      head text,
      applied integer NOT NULL,
      done integer NOT NULL,
      skipped text[] NOT NULL,
      started text,
      digest text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      updated_by text,
      PRIMARY KEY (schema, version_table)
    );
    CREATE TABLE IF NOT EXISTS ${qualify(schema, INDEX_META_TABLE)} (
      one boolean PRIMARY KEY DEFAULT true CHECK (one),
      created_at timestamptz NOT NULL DEFAULT now(),
      verified_at timestamptz,
      verified_by text,
      repaired integer
    );
    INSERT INTO ${qualify(schema, INDEX_META_TABLE)} (one) VALUES (true) ON CONFLICT DO NOTHING`;
  for (let attempt = 0; ; attempt++) {
    try {
      await session.query(sql);
      return;
    } catch (err) {
      // Two sessions creating it at once: IF NOT EXISTS is not atomic; the loser sees it there on the next try.
      if (attempt > 2 || !['23505', '42P07', '42710'].includes((err as { code?: string }).code ?? '')) throw err;
    }
  }
}

/**
 * The SQL that upserts one index row from a CTE (or table) named `rows` with columns
 * (name, seq, checksum, status): appended to a version-table write so that both happen in one
 * statement. `$schemaParam`/`$tableParam` are the target's version table.
 */
export function indexUpsertSql(indexSchema: string, rows: string, schemaParam: number, tableParam: number, byParam: number): string {
  return `INSERT INTO ${qualify(indexSchema, INDEX_TABLE)} (schema, version_table, ${COLUMNS}, updated_at, updated_by)
    SELECT $${schemaParam}::text, $${tableParam}::text, ${INDEX_AGGREGATES}, clock_timestamp(), $${byParam}::text FROM ${rows}
    ON CONFLICT (schema, version_table) DO UPDATE SET head = EXCLUDED.head, applied = EXCLUDED.applied, done = EXCLUDED.done,
      skipped = EXCLUDED.skipped, started = EXCLUDED.started, digest = EXCLUDED.digest, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`;
}

/** What a row says of a target's history, without saying which target (many targets share one state). */
export type IndexState = Pick<IndexRow, 'versionTable' | 'head' | 'applied' | 'done' | 'skipped' | 'started' | 'digest'>;

/**
 * For status: the index grouped by state, server-side. Targets in one state share one object;
 * per target only its schema's name travels (a fleet at head is one group of N names).
 */
export async function readIndexStates(session: SqlSession, schema: string): Promise<{ meta: IndexMeta; changedSinceVerify: number; states: Map<string, IndexState> } | null> {
  const [found] = await session.query<{ exists: boolean }>('SELECT pg_catalog.to_regclass($1) IS NOT NULL AND pg_catalog.to_regclass($2) IS NOT NULL AS exists', [
    qualify(schema, INDEX_TABLE),
    qualify(schema, INDEX_META_TABLE),
  ]);
  if (!found.exists) return null;
  const raw = await session.query<RawIndexRow & { schemas: string[] | null }>(
    `SELECT m.created_at, m.verified_at, m.verified_by, m.repaired, g.*
       FROM (SELECT * FROM ${qualify(schema, INDEX_META_TABLE)} LIMIT 1) m
       LEFT JOIN LATERAL (
         SELECT i.version_table, ${COLUMNS.split(', ')
           .map((c) => `i.${c}`)
           .join(', ')},
                count(*) FILTER (WHERE m.verified_at IS NULL OR i.updated_at > m.verified_at)::int AS since_verify, array_agg(i.schema) AS schemas
           FROM ${qualify(schema, INDEX_TABLE)} i GROUP BY i.version_table, ${COLUMNS.split(', ')
             .map((c) => `i.${c}`)
             .join(', ')}) g ON true`,
  );
  const first = raw[0];
  const meta: IndexMeta = first
    ? { createdAt: iso(first.created_at)!, verifiedAt: iso(first.verified_at), verifiedBy: first.verified_by, repaired: first.repaired }
    : { createdAt: new Date().toISOString(), verifiedAt: null, verifiedBy: null, repaired: null };
  const states = new Map<string, IndexState>();
  let changedSinceVerify = 0;
  for (const r of raw) {
    if (r.schemas === null) continue;
    const state: IndexState = { versionTable: r.version_table, head: r.head, applied: r.applied, done: r.done, skipped: r.skipped, started: r.started, digest: r.digest };
    for (const s of r.schemas) states.set(indexKey(s, r.version_table), state);
    changedSinceVerify += Number(r.since_verify);
  }
  return { meta, changedSinceVerify, states };
}

/** Forgets a dropped tenant's row (inside the drop's transaction); nothing when there is no index. */
export async function removeFromIndex(session: SqlSession, indexSchema: string, schema: string, versionTable: string): Promise<void> {
  const [found] = await session.query<{ exists: boolean }>('SELECT pg_catalog.to_regclass($1) IS NOT NULL AS exists', [qualify(indexSchema, INDEX_TABLE)]);
  if (found.exists) await session.query(`DELETE FROM ${qualify(indexSchema, INDEX_TABLE)} WHERE schema = $1 AND version_table = $2`, [schema, versionTable]);
}

export function indexKey(schema: string, versionTable: string): string {
  return [schema, versionTable].join('\u0000'); // flat (see bulk-history.ts key())
}

/** The index row a history gives (the same values as INDEX_AGGREGATES computes on the server). */
export function indexRowOf(schema: string, versionTable: string, records: readonly AppliedRecord[]): IndexRow {
  const done = records.filter((r) => r.status !== 'started');
  const applied = records.filter((r) => r.status === 'applied');
  return {
    schema,
    versionTable,
    head: applied.length ? applied[applied.length - 1].name : null,
    applied: applied.length,
    done: done.length,
    skipped: records.filter((r) => r.status === 'skipped').map((r) => r.name),
    started: records.find((r) => r.status === 'started')?.name ?? null,
    digest: digestOf(done),
    updatedAt: null,
    sinceVerify: true,
  };
}

/** True when two rows say the same thing of a target (updated_at aside). */
export function sameIndexRow(a: IndexRow, b: IndexRow): boolean {
  return (
    a.head === b.head &&
    a.applied === b.applied &&
    a.done === b.done &&
    a.started === b.started &&
    a.digest === b.digest &&
    a.skipped.length === b.skipped.length &&
    a.skipped.every((s, i) => s === b.skipped[i])
  );
}

/**
 * The digest of each prefix of a track's migrations in code order: `prefixes[n]` is what a target
 * that holds exactly the first n migrations has in its index row.
 */
export function prefixDigests(migrations: readonly Pick<MigrationDefinition, 'name' | 'checksum'>[]): string[] {
  const out = [digestOf([])];
  for (let n = 1; n <= migrations.length; n++) out.push(digestOf(migrations.slice(0, n)));
  return out;
}

/**
 * A target's history rebuilt from its index row, when the row proves it: the code's first `done`
 * migrations, in code order, with the code's checksums (skipped ones marked skipped). Null when
 * the row does not match the code that way (an interrupted migration, another order, a changed
 * checksum, a migration the code lacks): the caller then reads that target's version table.
 */
export function historyFromIndex(
  migrations: readonly MigrationDefinition[],
  prefixes: readonly string[],
  row: Pick<IndexRow, 'done' | 'digest' | 'started' | 'skipped'>,
): AppliedRecord[] | null {
  if (row.started !== null || row.done > migrations.length || prefixes[row.done] !== row.digest) return null;
  const skipped = new Set(row.skipped);
  return migrations.slice(0, row.done).map((m) => ({
    name: m.name,
    timestamp: m.timestamp,
    checksum: m.checksum,
    status: skipped.has(m.name) ? ('skipped' as const) : ('applied' as const),
    method: 'run' as const,
    appliedAt: '',
    durationMs: null,
    reason: null,
  }));
}

function digestOf(records: ReadonlyArray<{ name: string; checksum: string | null }>): string {
  return createHash('md5')
    .update(records.map((r) => `${r.name}\n${r.checksum ?? ''}`).join('\n'), 'utf8')
    .digest('hex');
}

export interface RawIndexRow {
  created_at: Date | string;
  verified_at: Date | string | null;
  verified_by: string | null;
  repaired: number | null;
  schema: string | null;
  version_table: string;
  head: string | null;
  applied: number;
  done: number;
  skipped: string[];
  started: string | null;
  digest: string;
  updated_at: string | null;
  since_verify: boolean | number;
}

export function toIndexRow(r: RawIndexRow, strings: StringPool): IndexRow {
  return {
    schema: r.schema!,
    versionTable: intern(strings, r.version_table),
    head: internNullable(strings, r.head),
    applied: r.applied,
    done: r.done,
    skipped: r.skipped,
    started: internNullable(strings, r.started),
    digest: intern(strings, r.digest),
    updatedAt: r.updated_at,
    sinceVerify: Boolean(r.since_verify),
  };
}

function iso(v: Date | string | null): string | null {
  return v === null ? null : v instanceof Date ? v.toISOString() : String(v);
}
