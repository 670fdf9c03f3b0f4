import { qualify } from '../identifiers';
import type { AppliedRecord } from '../planner/planner';
import type { BatchSession, SqlSession } from '../db/session';
import { RawRow, SELECT_COLUMNS, toRecord } from './postgres-version-store';
import { intern, internNullable, StringPool } from './string-pool';

export type { StringPool } from './string-pool';

/** Version tables read per round trip. */
export const BULK_CHUNK = 500;

/**
 * Reads many version tables of one database in a few round trips (fleet-scale status, verify,
 * history, dry-run, a no-op migrate): one catalog query finds which tables exist, then one round
 * trip per chunk of tables sends one plain `SELECT ... ORDER BY seq` per table (the simple query
 * protocol). Each statement is planned alone: a UNION ALL of the same tables cost the planner
 * more than the reads (1.3 ms per table at 200 per statement, 9 ms at 1000, against 0.8 ms; see
 * BENCHMARKS.md, "Fleet at 100,000 tenants"). 1000 tenant schemas cost 1 + 2 round trips, not
 * 1000. Identifiers are quoted; no value is spliced into the text.
 */
export async function readHistories(
  session: BatchSession,
  tables: ReadonlyArray<{ schema: string; table: string }>,
  strings: StringPool = new Map(),
): Promise<{
  histories: Map<string, AppliedRecord[]>;
  statements: number;
}> {
  const histories = new Map<string, AppliedRecord[]>();
  if (tables.length === 0) return { histories, statements: 0 };
  const existing = await existingTables(session, tables);
  let statements = 1;
  for (const t of tables) histories.set(key(t.schema, t.table), []);
  for (let i = 0; i < existing.length; i += BULK_CHUNK) {
    const chunk = existing.slice(i, i + BULK_CHUNK);
    const results = await session.queryBatch<RawRow>(chunk.map((t) => `SELECT ${SELECT_COLUMNS} FROM ${qualify(t.schema, t.table)} ORDER BY seq`));
    statements++;
    chunk.forEach((t, j) =>
      histories.set(
        key(t.schema, t.table),
        results[j].map((row) => shared(toRecord(row), strings)),
      ),
    );
  }
  return { histories, statements };
}

/**
 * A record whose name, checksum, status and method are the pool's copies (see string-pool.ts):
 * about 160 of a record's 290 bytes, and a no-op migrate holds a batch of histories at once.
 */
function shared(r: AppliedRecord, strings: StringPool): AppliedRecord {
  r.name = intern(strings, r.name);
  r.checksum = internNullable(strings, r.checksum);
  r.status = intern(strings, r.status) as AppliedRecord['status'];
  r.method = intern(strings, r.method) as AppliedRecord['method'];
  return r;
}

/**
 * Which of these (schema, table) pairs exist, in one catalog query whose cost follows the pairs
 * asked, not the fleet: the schemas' oids first (a materialized CTE), then each pair's pg_class row
 * by (relname, relnamespace), the catalog's own index. The pairs are unnested as two arrays of
 * `name` (`nspname = ANY($1::text[])` compared a name with each text in turn: 3.8 s for 10,000
 * schemas). Left to itself the planner found pg_class rows by relname alone: every tenant's
 * `fleet_migrations`, the whole fleet's for each slice of 1000 (110 ms a slice at 40k tenants, 4.6
 * s of a 12 s verify; 45 s for the plain join of the pairs); this takes 9-23 ms a slice there.
 */
export async function existingTables(session: SqlSession, tables: ReadonlyArray<{ schema: string; table: string }>): Promise<Array<{ schema: string; table: string }>> {
  if (tables.length === 0) return [];
  const pairs = new Map(tables.map((t) => [key(t.schema, t.table), t]));
  return session.query<{ schema: string; table: string }>(
    `WITH wanted AS MATERIALIZED (
       SELECT n.oid, n.nspname, w.t FROM unnest($1::name[], $2::name[]) AS w(s, t) JOIN pg_catalog.pg_namespace n ON n.nspname = w.s)
     SELECT wanted.nspname::text AS schema, c.relname::text AS table
       FROM wanted JOIN pg_catalog.pg_class c ON c.relname = wanted.t AND c.relnamespace = wanted.oid
      WHERE c.relkind IN ('r', 'p')`,
    [[...pairs.values()].map((t) => t.schema), [...pairs.values()].map((t) => t.table)],
  );
}

export function key(schema: string, table: string): string {
  // Joined flat: a template literal's concatenated string is flattened into a second copy as a Map key.
  return [schema, table].join('\u0000');
}
