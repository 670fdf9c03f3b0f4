import type { SqlSession } from '../db/session';

/**
 * Structural facts of schemas, read from the catalogs: tables, columns (type, nullability,
 * default), indexes and constraints, with each schema's own name stripped so that identical
 * tenants have identical facts. The version table is left out.
 */
const FACTS = `
  WITH s AS (SELECT oid, nspname FROM pg_catalog.pg_namespace WHERE nspname = ANY($1::text[])),
  rel AS (
    SELECT c.oid, c.relname, s.nspname FROM pg_catalog.pg_class c JOIN s ON s.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND c.relname <> ALL($2::text[])
  ),
  facts AS (
    SELECT rel.nspname, 'table ' || rel.relname AS fact FROM rel
    UNION ALL
    SELECT rel.nspname, 'column ' || rel.relname || '.' || a.attname || ' ' || replace(pg_catalog.format_type(a.atttypid, a.atttypmod), rel.nspname || '.', '')
             || CASE WHEN a.attnotnull THEN ' not null' ELSE ' null' END
             || coalesce(' default ' || replace(pg_catalog.pg_get_expr(d.adbin, d.adrelid), rel.nspname || '.', ''), '')
      FROM pg_catalog.pg_attribute a JOIN rel ON rel.oid = a.attrelid
      LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT rel.nspname, 'index ' || replace(pg_catalog.pg_get_indexdef(i.indexrelid), ' ON ' || rel.nspname || '.', ' ON ')
      FROM pg_catalog.pg_index i JOIN rel ON rel.oid = i.indrelid
    UNION ALL
    SELECT rel.nspname, 'constraint ' || rel.relname || ' ' || con.conname || ' ' || replace(pg_catalog.pg_get_constraintdef(con.oid), rel.nspname || '.', '')
      FROM pg_catalog.pg_constraint con JOIN rel ON rel.oid = con.conrelid
  )`;

/** One statement: a fingerprint (md5 of the sorted facts) per schema. Empty schemas get 'empty'. */
export async function fingerprintSchemas(session: SqlSession, schemas: string[], ignoreTables: string[]): Promise<Map<string, string>> {
  const rows = await session.query<{ schema: string; fingerprint: string }>(
    `${FACTS} SELECT nspname AS schema, md5(string_agg(fact, E'\\n' ORDER BY fact)) AS fingerprint FROM facts GROUP BY nspname`,
    [schemas, ignoreTables],
  );
  const out = new Map(schemas.map((s) => [s, 'empty']));
  for (const r of rows) out.set(r.schema, r.fingerprint);
  return out;
}

/** The facts themselves, for the few schemas whose differences are reported. */
export async function schemaFacts(session: SqlSession, schemas: string[], ignoreTables: string[]): Promise<Map<string, Set<string>>> {
  const rows = await session.query<{ schema: string; fact: string }>(`${FACTS} SELECT nspname AS schema, fact FROM facts`, [schemas, ignoreTables]);
  const out = new Map(schemas.map((s) => [s, new Set<string>()]));
  for (const r of rows) out.get(r.schema)!.add(r.fact);
  return out;
}

/** Readable differences of `actual` against `reference`: "extra column users.nickname text null". */
export function diffFacts(reference: Set<string>, actual: Set<string>): Array<{ kind: 'extra' | 'missing'; fact: string }> {
  const out: Array<{ kind: 'extra' | 'missing'; fact: string }> = [];
  for (const f of actual) if (!reference.has(f)) out.push({ kind: 'extra', fact: f });
  for (const f of reference) if (!actual.has(f)) out.push({ kind: 'missing', fact: f });
  return out.sort((a, b) => a.fact.localeCompare(b.fact));
}
