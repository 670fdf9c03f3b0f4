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

/** Parses `postgres://user:password@host:port/database?sslmode=require`. */
export function parseConnectionUrl(url: string): ConnectionSpec {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`not a valid URL`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error(`expected postgres:// or postgresql://, got ${parsed.protocol}//`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database) throw new Error('the URL names no database (postgres://host:port/<database>)');
  const sslmode = parsed.searchParams.get('sslmode');
  return {
    host: decodeURIComponent(parsed.hostname) || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 5432,
    user: decodeURIComponent(parsed.username) || process.env.PGUSER || defaultUser(),
    password: parsed.password ? decodeURIComponent(parsed.password) : process.env.PGPASSWORD,
    database,
    ssl: sslmode && sslmode !== 'disable' ? { rejectUnauthorized: sslmode === 'verify-full' } : undefined,
  };
}

export function withDatabase(spec: ConnectionSpec, database: string): ConnectionSpec {
  return { ...spec, database };
}

export function defaultUser(): string {
  return process.env.USER || process.env.LOGNAME || 'postgres';
}
