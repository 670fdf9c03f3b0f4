import { ConfigError, FleetError } from '../errors';
import { assertConfigIdentifier } from '../identifiers';
import type { LoadedDatabase } from '../config/load-config';
import { ConnectionSpec, defaultUser, parseConnectionUrl } from './connection-spec';

/**
 * Where a database's connection comes from, in order of precedence. `databaseFrom` says where
 * the database's name was found, when a variable was involved (for messages: "billing (from BILLING_DB)");
 * without it the name is the config's `database` or its default.
 */
export type ConnectionSource =
  | { kind: 'url'; variable: string; spec: ConnectionSpec; databaseFrom?: string }
  | { kind: 'libpq'; spec: ConnectionSpec; maintenanceDatabase: string; databaseFrom?: string }
  | { kind: 'embedded'; database: string; databaseFrom?: string };

/**
 * The database's name when no URL names it: the `databaseEnv` variable when it is set, else the
 * config's `database` (its fallback), else `<app>_<key>` — but never that default when the
 * config says a variable names the database: the app would use another one.
 */
export function databaseName(db: LoadedDatabase, env: NodeJS.ProcessEnv): { name: string; from?: string } {
  const named = db.databaseEnv;
  if (!named) return { name: db.database };
  const value = env[named.variable];
  if (value) {
    try {
      return { name: assertConfigIdentifier(named.variable, value), from: named.variable };
    } catch (e) {
      throw new ConfigError(`${named.variable}="${value}" is not a database name Fleet can use (${(e as FleetError).details.reason}).`, { variable: named.variable });
    }
  }
  if (named.fallback !== null) return { name: named.fallback, from: `databases.${db.key}.database, as ${named.variable} is not set` };
  throw new ConfigError(
    `${named.variable} is not set: it names the database of ${db.key} (databases.${db.key}.databaseEnv). Set it as the app does, ` +
      `or give databases.${db.key}.database as the name to use without it.`,
    { variable: named.variable },
  );
}

/**
 * 1. the database's URL variable (e.g. APP1_USERS_DATABASE_URL), which names its database;
 * 2. the libpq variables, when PGHOST is set (PGPORT, PGUSER, PGPASSWORD; PGDATABASE is the
 *    maintenance database used to create missing databases, default `postgres`);
 * 3. otherwise the embedded PostgreSQL that Fleet starts itself.
 * In 2 and 3 the database is `databaseName()`'s.
 */
export function resolveConnection(db: LoadedDatabase, env: NodeJS.ProcessEnv): ConnectionSource {
  const url = env[db.urlEnv];
  if (url) {
    try {
      return { kind: 'url', variable: db.urlEnv, spec: parseConnectionUrl(url), databaseFrom: db.urlEnv };
    } catch (e) {
      throw new ConfigError(`${db.urlEnv} is not a usable PostgreSQL URL (${(e as Error).message}). Expected postgres://user:password@host:port/database.`, {
        variable: db.urlEnv,
      });
    }
  }
  const database = databaseName(db, env);
  if (env.PGHOST) {
    const port = env.PGPORT ? Number(env.PGPORT) : 5432;
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new ConfigError(`PGPORT=${env.PGPORT} is not a port number.`, { variable: 'PGPORT' });
    return {
      kind: 'libpq',
      spec: { host: env.PGHOST, port, user: env.PGUSER || defaultUser(), password: env.PGPASSWORD, database: database.name },
      maintenanceDatabase: env.PGDATABASE || 'postgres',
      ...(database.from ? { databaseFrom: database.from } : {}),
    };
  }
  return { kind: 'embedded', database: database.name, ...(database.from ? { databaseFrom: database.from } : {}) };
}
