/**
 * What every benchmark needs of the server it measures on: the libpq variables (default
 * 127.0.0.1:5432, user root), a URL for one of its databases, a numeric `--name value` argument,
 * and a short-lived admin session.
 */
import { Client } from 'pg';

export const server = {
  host: process.env.PGHOST || '127.0.0.1',
  port: Number(process.env.PGPORT || 5432),
  user: process.env.PGUSER || 'root',
  password: process.env.PGPASSWORD || undefined,
};

export const urlOf = (db: string): string =>
  `postgres://${encodeURIComponent(server.user)}${server.password ? `:${encodeURIComponent(server.password)}` : ''}@${server.host}:${server.port}/${db}`;

/** `--name <number>` from the command line, else `fallback`. */
export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Runs `fn` on a session of its own on database `db`, closed after. */
export async function admin<T>(db: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ ...server, database: db });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
