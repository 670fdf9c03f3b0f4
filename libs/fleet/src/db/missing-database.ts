/**
 * A database Fleet was told to use does not exist. Before it says "create it", it looks on the
 * same server for this app's migration history (Fleet's version table, TypeORM's migrations
 * table) in another database: found there, the config names the wrong database, and creating
 * the named one would migrate a new, empty database beside the real one. The message names the
 * database looked for and where that name came from.
 */
import type { Client } from 'pg';
import type { LoadedDatabase } from '../config/load-config';
import { ConfigError } from '../errors';
import { qualify } from '../identifiers';
import { ConnectionSpec, describeConnection, withDatabase } from './connection-spec';
import { ClientSettings, withClient } from './server';

/** Databases looked into at most (a server with thousands, one per tenant, is not scanned whole). */
const MAX_DATABASES = 40;

export interface HistoryElsewhere {
  database: string;
  /** `schema.table` of the history table found there. */
  table: string;
  /** `fleet` (Fleet's version table) or `typeorm` (TypeORM's migrations table). */
  kind: 'fleet' | 'typeorm';
  rows: number;
}

/**
 * The first other database of the server (listed through `maintenanceDatabase`) that holds a
 * non-empty table named like this database's history: `versionTable` or TypeORM's
 * `typeormTable`, in any schema. Likely ones first: names that contain the app's name or are part
 * of the missing name (`billing` for `billing_main`), then the maintenance database (apps that
 * never named one use `postgres`), then the rest by name. Databases it cannot connect to are
 * skipped. One short connection per database, at most MAX_DATABASES.
 */
export async function findHistoryElsewhere(
  spec: ConnectionSpec,
  settings: ClientSettings,
  maintenanceDatabase: string,
  tables: { versionTable: string; typeormTable: string | null },
  app: string,
): Promise<HistoryElsewhere[]> {
  const names = await withClient(withDatabase(spec, maintenanceDatabase), settings, async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_catalog.pg_database
        WHERE datallowconn AND NOT datistemplate AND datname <> $1
        ORDER BY (strpos($1, datname) > 0 OR strpos(datname, $4) > 0) DESC, datname = $2 DESC, datname LIMIT $3`,
      [spec.database, maintenanceDatabase, MAX_DATABASES, app],
    );
    return rows.map((r) => r.datname);
  });
  for (const database of names) {
    const hits = await withClient(withDatabase(spec, database), settings, (client) => historyTables(client, database, tables)).catch(() => []);
    if (hits.length > 0) return hits;
  }
  return [];
}

async function historyTables(client: Client, database: string, tables: { versionTable: string; typeormTable: string | null }): Promise<HistoryElsewhere[]> {
  const wanted = [tables.versionTable, ...(tables.typeormTable ? [tables.typeormTable] : [])];
  const { rows } = await client.query<{ schema: string; table: string }>(
    `SELECT n.nspname AS schema, c.relname AS table FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND c.relname = ANY($1::text[]) AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      ORDER BY n.nspname = 'public' DESC, n.nspname, c.relname LIMIT 5`,
    [wanted],
  );
  const out: HistoryElsewhere[] = [];
  for (const r of rows) {
    const count = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${qualify(r.schema, r.table)}`).catch(() => null);
    if (!count || count.rows[0].n === 0) continue; // an empty table is no history
    out.push({ database, table: `${r.schema}.${r.table}`, kind: r.table === tables.versionTable ? 'fleet' : 'typeorm', rows: count.rows[0].n });
  }
  return out;
}

/**
 * The error for a missing database: where its name came from (`from`, e.g. "BILLING_DB" or "the
 * default <app>_<key>"), and either where this app's history is (fix the name; nothing is
 * suggested to be created) or, with no history anywhere, how to create it.
 */
export function missingDatabaseError(args: {
  app: string;
  db: LoadedDatabase;
  spec: ConnectionSpec;
  from: string;
  configFile: string;
  elsewhere: HistoryElsewhere[];
}): ConfigError {
  const { app, db, spec, from, configFile, elsewhere } = args;
  const server = describeConnection(withDatabase(spec, '')).replace(/\/$/, '');
  const looked = `Database ${spec.database} of ${app}/${db.key} does not exist on ${server} (the name comes from ${from}).`;
  const details = { database: spec.database, from, server, historyIn: elsewhere };
  if (elsewhere.length > 0) {
    const where = elsewhere.map((h) => `${h.database} (${h.table}, ${h.kind === 'fleet' ? "Fleet's version table" : "TypeORM's migrations table"}, ${h.rows} row(s))`);
    const first = elsewhere[0].database;
    return new ConfigError(
      `${looked} Migration history for it is in another database on this server: ${where.join('; ')}. ` +
        `Point Fleet at that database, not at a new, empty one: set databases.${db.key}.database: '${first}' in ${configFile}, ` +
        `or the variable the app reads its database from (databases.${db.key}.databaseEnv), or the URL in ${db.urlEnv}.`,
      details,
    );
  }
  return new ConfigError(
    `${looked} No database on this server holds migration history for it (${db.versionTable}${db.adoptTypeormTable ? ` or TypeORM's ${db.adoptTypeormTable}` : ''}). ` +
      `If ${spec.database} is the right name and the database is new, create it, or set createDatabase: true for ${db.key} in ${configFile}; ` +
      `otherwise fix the name (databases.${db.key}.database, databaseEnv, or the URL in ${db.urlEnv}).`,
    details,
  );
}

/** Where a database's name came from, for messages (the connection source says, when it knows). */
export function databaseNameOrigin(db: LoadedDatabase, app: string, source: { kind: string; variable?: string; databaseFrom?: string }): string {
  if (source.databaseFrom) return source.databaseFrom;
  if (source.kind === 'url' && source.variable) return source.variable;
  const fallback = `${app}_${db.key}`.replace(/[^A-Za-z0-9_]/g, '_');
  return db.database === fallback ? `databases.${db.key}.database, or its default <app>_<key> (${fallback})` : `databases.${db.key}.database`;
}

/** Looks for the history elsewhere (a failed look finds nothing) and builds the error. */
export async function explainMissingDatabase(args: {
  app: string;
  db: LoadedDatabase;
  spec: ConnectionSpec;
  source: { kind: string; variable?: string; databaseFrom?: string };
  configFile: string;
  settings: ClientSettings;
  maintenanceDatabase: string;
}): Promise<ConfigError> {
  const { db, spec } = args;
  const tables = { versionTable: db.versionTable, typeormTable: db.adoptTypeormTable };
  const elsewhere = await findHistoryElsewhere(spec, args.settings, args.maintenanceDatabase, tables, args.app).catch(() => []);
  return missingDatabaseError({ app: args.app, db, spec, from: databaseNameOrigin(db, args.app, args.source), configFile: args.configFile, elsewhere });
}
