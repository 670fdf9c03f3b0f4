import type { ConnectionSpec } from '../db/connection-spec';
import { loadEntities, postgresDataSource } from '../db/data-source';
import { quoteIdent } from '../identifiers';

export interface DriftChange {
  kind:
    | 'missing-table'
    | 'missing-column'
    | 'extra-column'
    | 'changed-column'
    | 'missing-index'
    | 'extra-index'
    | 'missing-constraint'
    | 'extra-constraint'
    | 'changed-comment'
    | 'other'
    | 'differs-from-majority';
  /** What the change is about, e.g. `users.nickname`. */
  object: string;
  /** Readable sentence. */
  message: string;
  /** The SQL TypeORM would run to make the schema match the entities (never run by Fleet). */
  sql?: string;
}

export { loadEntities } from '../db/data-source';

/**
 * Compares one schema with the entities, read-only: TypeORM's schema builder computes the SQL that
 * would make them match; Fleet turns it into readable changes and runs none of it.
 */
export async function entityDrift(spec: ConnectionSpec, schema: string, modulePath: string, applicationName: string): Promise<DriftChange[]> {
  const { up } = await schemaBuilderSql(spec, schema, modulePath, applicationName);
  return up.map((q) => describeQuery(q, schema));
}

/**
 * The SQL TypeORM's schema builder would run to make `schema` match the entities (up) and to
 * undo it (down), computed read-only; references to the schema itself are removed, so the SQL
 * fits any tenant schema.
 */
export async function schemaBuilderSql(spec: ConnectionSpec, schema: string, modulePath: string, applicationName: string): Promise<{ up: string[]; down: string[] }> {
  const { entities, options } = loadEntities(modulePath);
  const ds = postgresDataSource(spec, {
    applicationName,
    schema,
    entities,
    namingStrategy: options.namingStrategy,
    poolSize: 1,
    extra: { options: `-c search_path=${quoteIdent(schema)}` },
  });
  await ds.initialize();
  try {
    const log = await ds.driver.createSchemaBuilder().log();
    const neutral = (sql: string) =>
      sql
        .split(`${quoteIdent(schema)}.`)
        .join('')
        .replace(/\s+$/, '');
    return { up: log.upQueries.map((q) => neutral(q.query)), down: log.downQueries.map((q) => neutral(q.query)).reverse() };
  } finally {
    await ds.destroy();
  }
}

/** Names without quotes and without the target's own schema. */
function name(raw: string, schema: string): string {
  return raw.replace(/"/g, '').replace(new RegExp(`^${schema}\\.`), '');
}

export function describeQuery(sql: string, schema: string): DriftChange {
  const q = sql.trim();
  let m: RegExpExecArray | null;
  if ((m = /^CREATE TABLE ("[^"]+"(?:\."[^"]+")?)/.exec(q))) {
    const t = name(m[1], schema);
    return { kind: 'missing-table', object: t, message: `missing table ${t}`, sql: q };
  }
  if ((m = /^ALTER TABLE ("[^"]+"(?:\."[^"]+")?) ADD "([^"]+)" (.*)$/.exec(q))) {
    const t = name(m[1], schema);
    return { kind: 'missing-column', object: `${t}.${m[2]}`, message: `missing column ${t}.${m[2]} (${m[3]})`, sql: q };
  }
  if ((m = /^ALTER TABLE ("[^"]+"(?:\."[^"]+")?) DROP COLUMN "([^"]+)"/.exec(q))) {
    const t = name(m[1], schema);
    return { kind: 'extra-column', object: `${t}.${m[2]}`, message: `extra column ${t}.${m[2]} (not mapped by the entities)`, sql: q };
  }
  if ((m = /^ALTER TABLE ("[^"]+"(?:\."[^"]+")?) ALTER COLUMN "([^"]+)" (.*)$/.exec(q))) {
    const t = name(m[1], schema);
    return { kind: 'changed-column', object: `${t}.${m[2]}`, message: `column ${t}.${m[2]} differs: ${m[3]}`, sql: q };
  }
  if ((m = /^ALTER TABLE ("[^"]+"(?:\."[^"]+")?) ADD CONSTRAINT "([^"]+)"/.exec(q))) {
    const t = name(m[1], schema);
    return { kind: 'missing-constraint', object: `${t}.${m[2]}`, message: `missing constraint ${m[2]} on ${t}`, sql: q };
  }
  if ((m = /^ALTER TABLE ("[^"]+"(?:\."[^"]+")?) DROP CONSTRAINT "([^"]+)"/.exec(q))) {
    const t = name(m[1], schema);
    return { kind: 'extra-constraint', object: `${t}.${m[2]}`, message: `extra constraint ${m[2]} on ${t}`, sql: q };
  }
  if ((m = /^CREATE (?:UNIQUE )?INDEX "([^"]+)" ON ("[^"]+"(?:\."[^"]+")?)/.exec(q))) {
    const t = name(m[2], schema);
    return { kind: 'missing-index', object: `${t}.${m[1]}`, message: `missing index ${m[1]} on ${t}`, sql: q };
  }
  if ((m = /^DROP INDEX ("[^"]+"(?:\."[^"]+")?)/.exec(q))) {
    const i = name(m[1], schema);
    return { kind: 'extra-index', object: i, message: `extra index ${i} (not declared by the entities)`, sql: q };
  }
  if (/^COMMENT ON/.test(q)) return { kind: 'changed-comment', object: q.split(' ').slice(2, 4).join(' '), message: `comment differs: ${q}`, sql: q };
  return { kind: 'other', object: '', message: `differs: ${q}`, sql: q };
}
