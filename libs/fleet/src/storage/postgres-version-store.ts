import { qualify, quoteIdent } from '../identifiers';
import type { AppliedRecord } from '../planner/planner';
import type { SqlSession } from '../db/session';
import { indexUpsertSql } from './fleet-index';
import type { RecordInput, VersionStore } from './version-store';

/**
 * The version table of one target, `<schema>.<table>`:
 *   name (primary key), seq (the order rows were recorded), timestamp, checksum,
 *   status (applied | skipped | started), method (run | stamp | adopt), applied_at, duration_ms,
 *   applied_by, reason.
 * Deliberately small (no sequence, one index): thousands of tenants each create one.
 * Every write happens under the target's lock, so `seq` is assigned here, not by the server.
 * With `indexSchema`, every write also upserts the target's row of the fleet index
 * (storage/fleet-index.ts) in the same statement, so in the same transaction.
 */
export class PostgresVersionStore implements VersionStore {
  private readonly table: string;
  private lastSeq = 0;

  constructor(
    private readonly session: SqlSession,
    readonly schema: string,
    readonly tableName: string,
    private readonly appliedBy: string,
    /** What the caller already knows about the table (from the statement that took the lock). */
    private knownToExist?: boolean,
    /** The schema (same database) holding the fleet index this target's row lives in; null: no index. */
    private readonly indexSchema: string | null = null,
  ) {
    this.table = qualify(schema, tableName);
  }

  async ensure(): Promise<void> {
    // One round trip; both statements are no-ops when the objects exist.
    await this.session.query(this.ensureStatements().join(';\n'));
    this.knownToExist = true;
  }

  /** The schema and the table, each created if missing: identifiers only, no parameters. */
  ensureStatements(): string[] {
    return [
      `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`,
      `CREATE TABLE IF NOT EXISTS ${this.table} (
        name text PRIMARY KEY,
        seq integer NOT NULL,
        timestamp bigint NOT NULL,
        checksum text,
        status text NOT NULL CHECK (status IN ('applied', 'skipped', 'started')),
        method text NOT NULL CHECK (method IN ('run', 'stamp', 'adopt')),
        applied_at timestamptz NOT NULL DEFAULT now(),
        duration_ms integer,
        applied_by text,
        reason text
      )`,
    ];
  }

  async readApplied(): Promise<AppliedRecord[] | null> {
    if (this.knownToExist === undefined) this.knownToExist = await tableExists(this.session, this.schema, this.tableName);
    if (!this.knownToExist) return null;
    const rows = await this.session.query<RawRow & { seq: number }>(`SELECT seq, ${SELECT_COLUMNS} FROM ${this.table} ORDER BY seq`);
    this.lastSeq = rows.length ? rows[rows.length - 1].seq : 0;
    return rows.map(toRecord);
  }

  async record(...inputs: RecordInput[]): Promise<void> {
    if (inputs.length === 0) return;
    const seqs = inputs.map(() => ++this.lastSeq);
    const params: unknown[] = [
      inputs.map((i) => i.name),
      seqs,
      inputs.map((i) => String(i.timestamp)),
      inputs.map((i) => i.checksum),
      inputs.map((i) => i.status),
      inputs.map((i) => i.method),
      inputs.map((i) => i.durationMs),
      this.appliedBy,
      inputs.map((i) => i.reason),
    ];
    const write = `INSERT INTO ${this.table} (name, seq, timestamp, checksum, status, method, duration_ms, applied_by, reason)
       SELECT x.name, x.seq, x.ts, x.checksum, x.status, x.method, x.duration_ms, $8, x.reason
         FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::int[], $9::text[])
           AS x(name, seq, ts, checksum, status, method, duration_ms, reason)
       ON CONFLICT (name) DO UPDATE SET timestamp = EXCLUDED.timestamp, checksum = EXCLUDED.checksum,
         status = EXCLUDED.status, method = EXCLUDED.method, applied_at = now(),
         duration_ms = EXCLUDED.duration_ms, applied_by = EXCLUDED.applied_by, reason = EXCLUDED.reason`;
    if (this.indexSchema === null) {
      await this.session.query(write, params);
      return;
    }
    // The statement sees the table as it was before its own INSERT: the index row is computed from
    // the rows it keeps plus the rows it writes (a replaced row keeps its seq, as the upsert does).
    await this.session.query(
      `WITH written AS (${write} RETURNING 1),
       rows AS (
         SELECT name, seq, checksum, status FROM ${this.table} WHERE name <> ALL($1::text[])
         UNION ALL
         SELECT x.name, coalesce(old.seq, x.seq), x.checksum, x.status
           FROM unnest($1::text[], $2::int[], $4::text[], $5::text[]) AS x(name, seq, checksum, status)
           LEFT JOIN ${this.table} old ON old.name = x.name)
       ${indexUpsertSql(this.indexSchema, 'rows', 10, 11, 8)}`,
      [...params, this.schema, this.tableName],
    );
  }

  async unrecord(name: string): Promise<void> {
    if (this.indexSchema === null) {
      await this.session.query(`DELETE FROM ${this.table} WHERE name = $1`, [name]);
      return;
    }
    await this.session.query(
      `WITH removed AS (DELETE FROM ${this.table} WHERE name = $1 RETURNING 1),
       rows AS (SELECT name, seq, checksum, status FROM ${this.table} WHERE name <> $1)
       ${indexUpsertSql(this.indexSchema, 'rows', 2, 3, 4)}`,
      [name, this.schema, this.tableName, this.appliedBy],
    );
  }
}

export const SELECT_COLUMNS = 'name, timestamp::text AS timestamp, checksum, status, method, applied_at, duration_ms, reason';

export interface RawRow {
  name: string;
  timestamp: string;
  checksum: string | null;
  status: AppliedRecord['status'];
  method: AppliedRecord['method'];
  applied_at: Date | string;
  duration_ms: number | null;
  reason: string | null;
}

export function toRecord(row: RawRow): AppliedRecord {
  return {
    name: row.name,
    timestamp: Number(row.timestamp),
    checksum: row.checksum,
    status: row.status,
    method: row.method,
    appliedAt: row.applied_at instanceof Date ? row.applied_at.toISOString() : String(row.applied_at),
    durationMs: row.duration_ms,
    reason: row.reason,
  };
}

export async function tableExists(session: SqlSession, schema: string, table: string): Promise<boolean> {
  const rows = await session.query<{ exists: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')) AS exists`,
    [schema, table],
  );
  return rows[0].exists;
}

/**
 * TypeORM's own history (`migrations` table: id, timestamp, name), for adopting a database that
 * TypeORM's CLI migrated before Fleet. Empty when there is no such table.
 */
export async function readTypeormHistory(session: SqlSession, schema: string, table: string): Promise<Array<{ name: string; timestamp: number }>> {
  if (!(await tableExists(session, schema, table))) return [];
  const rows = await session.query<{ name: string; timestamp: string }>(
    `SELECT name, timestamp::text AS timestamp FROM ${qualify(schema, table)} ORDER BY id` /* TypeORM's table has a serial id */,
  );
  return rows.map((r) => ({ name: r.name, timestamp: Number(r.timestamp) }));
}
