/**
 * Test helpers for the real PostgreSQL server: the one PGHOST/PGPORT/PGUSER point at (default
 * 127.0.0.1:5432, user root). Every test creates its own databases and drops them after.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export function testServer(): { host: string; port: number; user: string; password?: string } {
  return {
    host: process.env.PGHOST || '127.0.0.1',
    port: Number(process.env.PGPORT || 5432),
    user: process.env.PGUSER || 'root',
    password: process.env.PGPASSWORD || undefined,
  };
}

export function databaseUrl(database: string): string {
  const s = testServer();
  const auth = s.password ? `${encodeURIComponent(s.user)}:${encodeURIComponent(s.password)}` : encodeURIComponent(s.user);
  return `postgres://${auth}@${s.host}:${s.port}/${database}`;
}

export async function withAdmin<T>(fn: (client: Client) => Promise<T>, database = 'postgres'): Promise<T> {
  const client = new Client({ ...testServer(), database });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** A fresh empty database; remember to drop it (see `dropDatabase`). */
export async function createDatabase(prefix = 'fleet_t'): Promise<string> {
  const name = uniqueName(prefix);
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}"`));
  return name;
}

export async function dropDatabase(name: string): Promise<void> {
  await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

export async function query<T = Record<string, unknown>>(database: string, sql: string, params: unknown[] = []): Promise<T[]> {
  return withAdmin(async (c) => (await c.query(sql, params)).rows as T[], database);
}

/** The pid of an active backend on `database` whose query contains `fragment`; throws after timeoutMs. */
/** The pid of a backend on `database` running a statement containing `fragment` (for at least `minRunningMs`: the slow one of many alike). */
export async function waitForBackend(database: string, fragment: string, timeoutMs = 10_000, minRunningMs = 0): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const rows = await query<{ pid: number }>(
      'postgres',
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND strpos(query, $2) > 0 AND now() - query_start >= $3::int * interval '1 millisecond'`,
      [database, fragment, minRunningMs],
    );
    if (rows.length) return rows[0].pid;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no active backend on ${database} running ${JSON.stringify(fragment)} within ${timeoutMs} ms`);
}

/** Samples pg_stat_activity until stopped: the most connections `applicationName` held on `database` at once. */
export function samplePeakConnections(database: string, applicationName: string): { stop(): Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const rows = await query<{ n: number }>('postgres', 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [
        database,
        applicationName,
      ]);
      peak = Math.max(peak, rows[0].n);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return peak;
    },
  };
}
