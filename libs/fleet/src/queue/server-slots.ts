/**
 * The connection budget of an app's queue, held across every worker: a server with budget N has
 * N slots (rows in the queue's schema); a worker claims one before it opens a connection to that
 * server and gives it back after the connection closed (see slot-budget.ts). A claim is one UPDATE ... FOR UPDATE SKIP LOCKED, so two
 * workers never hold the same slot, and no connection is held while a worker waits for one.
 * A worker that dies keeps its slot until its heartbeat is older than `staleMs`: by then the
 * server has ended the dead worker's session (its socket closed with the process).
 *
 * (pg-boss's own `groupConcurrency` is used too, to fetch few jobs a worker cannot start, but it
 * counts active jobs under concurrent fetches and can go over: it is not the budget.)
 */
import { ConnectionError } from '../errors';
import { createIfMissing, SqlClient } from './sql-client';

export const DEFAULT_SLOT_STALE_MS = 30_000;

export class ServerSlots {
  constructor(
    private readonly sql: SqlClient,
    private readonly schema: string,
    private readonly holder: string,
    private readonly staleMs = DEFAULT_SLOT_STALE_MS,
  ) {}

  private get table(): string {
    return `"${this.schema}"."fleet_slots"`;
  }

  async install(): Promise<void> {
    await createIfMissing(
      this.sql,
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         scope text NOT NULL, server text NOT NULL, slot integer NOT NULL,
         holder text, heartbeat_at timestamptz,
         PRIMARY KEY (scope, server, slot))`,
    );
  }

  /**
   * A server's budget for this scope (the app's queue): slots 0..budget-1 exist, free slots
   * above go. Idempotent: every coordinator declares what it computed.
   */
  async declare(scope: string, server: string, budget: number): Promise<void> {
    await this.sql.query(`INSERT INTO ${this.table} (scope, server, slot) SELECT $1, $2, s FROM pg_catalog.generate_series(0, $3::int - 1) AS s ON CONFLICT DO NOTHING`, [
      scope,
      server,
      budget,
    ]);
    await this.sql.query(`DELETE FROM ${this.table} WHERE scope = $1 AND server = $2 AND slot >= $3 AND holder IS NULL`, [scope, server, budget]);
  }

  /** How many slots a server has in this scope (0: none declared yet). */
  async capacity(scope: string, server: string): Promise<number> {
    const [row] = await this.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.table} WHERE scope = $1 AND server = $2`, [scope, server]);
    return row.n;
  }

  /**
   * One free slot of `server`, or null when all are held. `server` is the server's identity
   * (db/server-identity.ts), the same for every spelling of its address in every process. A server
   * with no slot at all in this scope is an error, never a wait: nobody would ever free one.
   */
  async claim(scope: string, server: string): Promise<number | null> {
    const [row] = await this.sql.query<{ slot: number | null; declared: boolean }>(
      `WITH claimed AS (
         UPDATE ${this.table} AS s SET holder = $3, heartbeat_at = pg_catalog.clock_timestamp()
          WHERE (s.scope, s.server, s.slot) = (
            SELECT scope, server, slot FROM ${this.table}
             WHERE scope = $1 AND server = $2
               AND (holder IS NULL OR heartbeat_at < pg_catalog.clock_timestamp() - $4::int * interval '1 millisecond')
             ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING s.slot)
       SELECT (SELECT slot FROM claimed) AS slot, EXISTS (SELECT 1 FROM ${this.table} WHERE scope = $1 AND server = $2) AS declared`,
      [scope, server, this.holder, this.staleMs],
    );
    if (row.slot === null && !row.declared) {
      throw new ConnectionError(
        `No connection slots for server ${server} in queue ${scope}: the coordinator declared none for it. ` +
          'It knew the server under another identity (the server restarted since, or the coordinator connects with a role that may read pg_control_system() and this worker does not). ' +
          'Run the coordinator and the workers with the same role, and start the run again.',
        { server, queue: scope },
      );
    }
    return row.slot;
  }

  /** Every slot this worker holds stays its own (a dead worker's go stale). */
  async heartbeat(scope: string): Promise<void> {
    await this.sql.query(`UPDATE ${this.table} SET heartbeat_at = pg_catalog.clock_timestamp() WHERE scope = $1 AND holder = $2`, [scope, this.holder]);
  }

  async release(scope: string, server: string, slot: number): Promise<void> {
    await this.sql.query(`UPDATE ${this.table} SET holder = NULL, heartbeat_at = NULL WHERE scope = $1 AND server = $2 AND slot = $3 AND holder = $4`, [
      scope,
      server,
      slot,
      this.holder,
    ]);
  }
}
