import { ConfigError } from '../errors';
import type { LoadedDatabase } from '../config/load-config';
import { ConnectionSpec, defaultUser, parseConnectionUrl } from './connection-spec';

/** Where a database's connection comes from, in order of precedence. */
export type ConnectionSource =
  { kind: 'url'; variable: string; spec: ConnectionSpec } | { kind: 'libpq'; spec: ConnectionSpec; maintenanceDatabase: string } | { kind: 'embedded'; database: string };

/**
 * 1. the database's URL variable (e.g. APP1_USERS_DATABASE_URL);
 * 2. the libpq variables, when PGHOST is set (PGPORT, PGUSER, PGPASSWORD; PGDATABASE is the
 *    maintenance database used to create missing databases, default `postgres`);
 * 3. otherwise the embedded PostgreSQL that Fleet starts itself.
 */
export function resolveConnection(db: LoadedDatabase, env: NodeJS.ProcessEnv): ConnectionSource {
  const url = env[db.urlEnv];
  if (url) {
    try {
      return { kind: 'url', variable: db.urlEnv, spec: parseConnectionUrl(url) };
    } catch (e) {
      throw new ConfigError(`${db.urlEnv} is not a usable PostgreSQL URL (${(e as Error).message}). Expected postgres://user:password@host:port/database.`, {
        variable: db.urlEnv,
      });
    }
  }
  if (env.PGHOST) {
    const port = env.PGPORT ? Number(env.PGPORT) : 5432;
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new ConfigError(`PGPORT=${env.PGPORT} is not a port number.`, { variable: 'PGPORT' });
    return {
      kind: 'libpq',
      spec: { host: env.PGHOST, port, user: env.PGUSER || defaultUser(), password: env.PGPASSWORD, database: db.database },
      maintenanceDatabase: env.PGDATABASE || 'postgres',
    };
  }
  return { kind: 'embedded', database: db.database };
}
