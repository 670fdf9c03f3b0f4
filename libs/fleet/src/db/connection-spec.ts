import { parse } from 'pg-connection-string';

/** Where one database lives. Passwords never appear in `describe()` or in messages. */
export interface ConnectionSpec {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  /** Extra libpq-style settings passed to node-postgres (ssl, ...). */
  ssl?: boolean | Record<string, unknown>;
}

export function serverKey(spec: ConnectionSpec): string {
  return `${spec.host}:${spec.port}`;
}

export function databaseKey(spec: ConnectionSpec): string {
  return `${spec.user}@${spec.host}:${spec.port}/${spec.database}`;
}

export function describeConnection(spec: ConnectionSpec): string {
  return `postgres://${encodeURIComponent(spec.user)}@${spec.host}:${spec.port}/${encodeURIComponent(spec.database)}`;
}

/**
 * Parses a connection URL as libpq (and psql) read it, through pg-connection-string with libpq
 * semantics: `?host=/var/run/postgresql` is a socket directory; `sslmode=require` encrypts
 * without verifying, `verify-ca` verifies the certificate chain, `verify-full` the chain and the
 * host name; `sslrootcert`, `sslcert` and `sslkey` name files that are read.
 */
export function parseConnectionUrl(url: string): ConnectionSpec {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1];
  if (!scheme) throw new Error('not a valid URL');
  if (scheme !== 'postgres' && scheme !== 'postgresql') throw new Error(`expected postgres:// or postgresql://, got ${scheme}://`);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(url, { useLibpqCompat: true });
  } catch (err) {
    throw new Error(`cannot use it: ${(err as Error).message}`);
  }
  if (!parsed.database) throw new Error('the URL names no database (postgres://host:port/<database>)');
  return {
    host: parsed.host || process.env.PGHOST || 'localhost',
    port: parsed.port ? Number(parsed.port) : 5432,
    user: parsed.user || process.env.PGUSER || defaultUser(),
    password: parsed.password || process.env.PGPASSWORD || undefined,
    database: parsed.database,
    // Verifying is node's default; spelled out so that reports and tests can see it.
    ssl: parsed.ssl === undefined || parsed.ssl === false ? undefined : { rejectUnauthorized: true, ...(parsed.ssl as Record<string, unknown>) },
  };
}

export function withDatabase(spec: ConnectionSpec, database: string): ConnectionSpec {
  return { ...spec, database };
}

export function defaultUser(): string {
  return process.env.USER || process.env.LOGNAME || 'postgres';
}
