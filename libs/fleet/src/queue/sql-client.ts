/** The little SQL the queue needs besides pg-boss: a pool on the queue's database. */
import { Pool } from 'pg';
import type { ConnectionSpec } from '../db/connection-spec';

export interface SqlClient {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export const QUEUE_APPLICATION_NAME = 'fleet:queue';

export function queuePool(spec: ConnectionSpec, max = 2): SqlClient {
  const pool = new Pool({
    host: spec.host,
    port: spec.port,
    user: spec.user,
    password: spec.password,
    database: spec.database,
    ssl: spec.ssl as never,
    max,
    application_name: QUEUE_APPLICATION_NAME,
    idleTimeoutMillis: 10_000,
  });
  pool.on('error', () => undefined); // a dropped idle connection is replaced on the next query
  return {
    async query<T>(sql: string, params: unknown[] = []) {
      return (await pool.query(sql, params)).rows as T[];
    },
    close: () => pool.end(),
  };
}

/**
 * Two processes creating the same table at once: the loser's duplicate_table, unique_violation
 * (on pg_type) or duplicate_object ("type ... already exists": the winner's row type committed
 * between the loser's IF NOT EXISTS check and its own type) means it is there.
 */
const ALREADY_THERE = new Set(['42P07', '23505', '42710']);

export async function createIfMissing(sql: SqlClient, ddl: string): Promise<void> {
  await sql.query(ddl).catch((err: { code?: string }) => {
    if (!err.code || !ALREADY_THERE.has(err.code)) throw err;
  });
}
