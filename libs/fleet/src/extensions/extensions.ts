/**
 * PostgreSQL extensions: which ones a database needs, and installing them once per database,
 * before its tracks run, into the schema every target's session sees (schema-per-tenant: the
 * shared schema on every search_path; otherwise the database's own schema).
 *
 * Why not let migrations or TypeORM install them: `CREATE EXTENSION` run by a tenant-track
 * migration installs into that tenant's schema (its search_path), races between tenants
 * (`pg_extension_name_index`), and dropping that tenant later drops the extension for everybody.
 */
import { FleetError } from '../errors';
import { quoteIdent } from '../identifiers';
import { entityMetadata } from '../db/data-source';
import type { SqlSession } from '../db/session';
import { targetLockKey } from '../locking/target-lock';

/** What one database needs before its first target runs. */
export interface ExtensionNeeds {
  /** Extension names, in install order. */
  names: string[];
  /** The schema a missing extension is installed into. */
  schema: string;
  /** Schemas that every session of this database has on its search_path (an extension elsewhere is invisible). */
  visible: string[];
  /** How the user moves a misplaced extension: the `fleet extensions relocate` sentence (see relocate.ts; read only on an error). */
  fix?: () => string;
}

/** An extension is missing and could not be installed, or sits where the targets cannot see it. */
export class ExtensionError extends FleetError {
  constructor(message: string, details: Record<string, unknown>, options?: { cause?: unknown }) {
    super('EXTENSION_UNUSABLE', message, details, options);
  }
}

/**
 * The extensions a DataSource's entities imply, by TypeORM's own rule (`installExtensions`):
 * uuid generated columns need `uuidExtension` (default uuid-ossp), citext/hstore/cube/ltree
 * columns their namesake, spatial columns postgis, vector columns vector, exclusion constraints
 * btree_gist. Reads entity metadata only; opens no connection.
 */
export async function extensionsImpliedBy(modulePath: string): Promise<string[]> {
  const { dataSource: ds, options } = await entityMetadata(modulePath);
  if (ds.entityMetadatas.length === 0) return [];
  const found = await (ds.driver as unknown as { checkMetadataForExtensions(): Promise<Record<string, boolean>> }).checkMetadataForExtensions();
  const out: string[] = [];
  if (found.hasUuidColumns) out.push(String(options.uuidExtension ?? 'uuid-ossp'));
  if (found.hasCitextColumns) out.push('citext');
  if (found.hasHstoreColumns) out.push('hstore');
  if (found.hasGeometryColumns) out.push('postgis');
  if (found.hasCubeColumns) out.push('cube');
  if (found.hasLtreeColumns) out.push('ltree');
  if (found.hasVectorColumns) out.push('vector');
  if (found.hasExclusionConstraints) out.push('btree_gist');
  return out;
}

/**
 * Makes sure every extension in `needs` exists where the targets see it. Reads the catalog first
 * (nothing to do is one statement, no lock); installs what is missing in one transaction under a
 * per-database advisory lock, so concurrent runners never race on `CREATE EXTENSION`. An
 * extension that exists in a schema the targets cannot see is an error saying how to fix it.
 */
export async function ensureExtensions(session: SqlSession, database: string, needs: ExtensionNeeds): Promise<string[]> {
  if (needs.names.length === 0) return [];
  const visible = new Set([...needs.visible, 'pg_catalog']);
  const present = async () =>
    new Map(
      (
        await session.query<{ extname: string; nspname: string }>(
          `SELECT e.extname, n.nspname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = ANY($1::text[])`,
          [needs.names],
        )
      ).map((r) => [r.extname, r.nspname]),
    );
  const check = (installed: Map<string, string>) => {
    for (const name of needs.names) {
      const where = installed.get(name);
      if (where !== undefined && !visible.has(where)) {
        // Never resolved where it is: `public` holds the global track's tables, and another tenant's
        // schema goes away with that tenant (and its names would leak into every other tenant).
        throw new ExtensionError(
          `Extension ${name} is installed in schema ${where} of database ${database}, which the migrations' sessions do not see ` +
            `(their search_path: the target's schema, then ${needs.visible.join(', ')}). ` +
            (needs.fix?.() ?? `Move it (it is database-wide): ALTER EXTENSION ${quoteIdent(name)} SET SCHEMA ${quoteIdent(needs.schema)}.`),
          { extension: name, schema: where, database },
        );
      }
    }
  };
  let installed = await present();
  check(installed);
  if (needs.names.every((n) => installed.has(n))) return [];
  const key = targetLockKey(database, needs.schema, '<extensions>');
  await session.query('BEGIN');
  try {
    await session.query('SELECT pg_catalog.pg_advisory_xact_lock($1::int4, $2::int4)', [key.classId, key.objectId]);
    installed = await present(); // another runner may have installed them while we waited
    check(installed);
    const missing = needs.names.filter((n) => !installed.has(n));
    if (missing.length) await session.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(needs.schema)}`);
    for (const name of missing) {
      try {
        await session.query(`CREATE EXTENSION IF NOT EXISTS ${quoteIdent(name)} WITH SCHEMA ${quoteIdent(needs.schema)}`);
      } catch (cause) {
        throw new ExtensionError(
          `Could not install extension ${name} into schema ${needs.schema} of database ${database}: ${(cause as Error).message}. ` +
            `Install it once as a role that may (CREATE EXTENSION IF NOT EXISTS ${quoteIdent(name)} WITH SCHEMA ${quoteIdent(needs.schema)}), then run again.`,
          { extension: name, schema: needs.schema, database, sqlState: (cause as { code?: string }).code },
          { cause },
        );
      }
    }
    await session.query('COMMIT');
    return missing;
  } catch (err) {
    await session.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * A migration failed with `function x(...) does not exist` (SQLSTATE 42883): when an extension
 * that the session cannot see provides x (uuid-ossp in `public`, pgcrypto in another tenant's
 * schema), says so, and how to fix it, in the error. Reads the catalog only; says nothing when
 * the function is nobody's (a typo stays the database's own message).
 */
export async function explainUndefinedFunction(session: SqlSession, error: Record<string, unknown>, where: { configKey: string; fix?: () => string }): Promise<void> {
  const name = /function (?:"?[^"\s(.]+"?\.)?"?([^"\s(]+)"?\(/.exec(String(error.message))?.[1];
  if (!name) return;
  const owners = await session
    .query<{ extname: string; nspname: string }>(
      `SELECT DISTINCT e.extname, n.nspname FROM pg_catalog.pg_proc p
         JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
         JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
         JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
        WHERE p.proname = $1 AND n.nspname <> ALL (pg_catalog.current_schemas(true)) ORDER BY 1, 2`,
      [name],
    )
    .catch(() => []); // a broken session keeps the original message
  if (owners.length === 0) return;
  const [{ extname, nspname }] = owners;
  error.message =
    `${String(error.message)}. ${name}() is a function of extension ${extname}, installed in schema ${nspname}, which this target's sessions do not see. ` +
    `List "${extname}" in databases.${where.configKey}.extensions of the Fleet config (the migrations need it), then: ` +
    (where.fix?.() ?? `ALTER EXTENSION ${quoteIdent(extname)} SET SCHEMA <a schema every target sees>`);
  error.extension = extname;
  error.extensionSchema = nspname;
}
