import type { PoolClient } from 'pg';
import type { QueryRunner } from 'typeorm';
import { ConnectionError } from '../errors';

/** The one thing Fleet's own SQL needs from a connection: parameterised queries returning rows. */
export interface SqlSession {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

/** A session that can also send several statements in one round trip (see TargetSession.queryBatch). */
export interface BatchSession extends SqlSession {
  /** `tables`: how many tables the statements read (the pool retires busy connections); default: one each. */
  queryBatch<T = Record<string, unknown>>(statements: readonly string[], tables?: number): Promise<T[][]>;
}

/** A session whose clean-up its user may send itself, with its last statement (see TargetSession.closing). */
export interface ClosableSession extends BatchSession {
  closing(): { statements: string[]; sent: () => void } | undefined;
}

/**
 * A pooled connection checked out for one target: Fleet's own SQL goes straight to the pg
 * client; migrations get the TypeORM QueryRunner bound to the same connection, so the lock,
 * the search_path, the transaction and the version rows all live on one session.
 */
export class TargetSession implements ClosableSession {
  /** Set when the session must not go back to the pool (its state is unknown). */
  brokenBy: Error | undefined;
  /** Tables this session served: 1 for a target, plus one per statement of a bulk read (the pool retires busy connections). */
  served = 1;
  /** Advisory locks released by the clean-up statement (see unlockOnRelease). */
  private readonly unlocks: Array<{ classId: number; objectId: number }> = [];
  /** Set once the clean-up went out with the user's last statement (closing): nothing more is sent. */
  private closed = false;

  constructor(
    readonly queryRunner: QueryRunner,
    private readonly client: PoolClient,
  ) {}

  /** Releases this advisory lock in the clean-up statement, when the session goes back to the pool. */
  unlockOnRelease(key: { classId: number; objectId: number }): void {
    if (!Number.isInteger(key.classId) || !Number.isInteger(key.objectId)) throw new TypeError(`advisory lock key must be two integers, got ${JSON.stringify(key)}`);
    this.unlocks.push({ classId: key.classId, objectId: key.objectId });
  }

  /**
   * What the pool sends when the session goes back: the deferred unlocks and RESET ALL (nothing a
   * target set may leak to the next one), in one round trip (the simple protocol; the keys are
   * integers checked above, nothing else varies).
   */
  cleanupSql(): string | null {
    if (this.closed) return null;
    const sql = this.cleanupStatements().join('; ');
    this.unlocks.length = 0;
    return sql;
  }

  /**
   * The clean-up, for the user to send with its last statement (a target's last COMMIT:
   * executor/migration-runner.ts) instead of the pool in a round trip of its own; `sent()` once it
   * went through. The session is then done: anything more sent on it throws (its lock is gone).
   * Undefined once closed.
   */
  closing(): { statements: string[]; sent: () => void } | undefined {
    if (this.closed) return undefined;
    return {
      statements: this.cleanupStatements(),
      sent: () => {
        this.unlocks.length = 0;
        this.closed = true;
      },
    };
  }

  private cleanupStatements(): string[] {
    return [...this.unlocks.map((k) => `SELECT pg_catalog.pg_advisory_unlock(${k.classId}::int4, ${k.objectId}::int4)`), 'RESET ALL'];
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('this session already released its target (lock and settings) with its last COMMIT: nothing more may be sent on it');
  }

  /** The pool destroys this connection instead of reusing it. */
  markBroken(reason: Error): void {
    this.brokenBy ??= reason;
  }

  async query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    this.assertOpen();
    try {
      const result = await this.client.query(sql, params as unknown[] | undefined);
      return result.rows as T[];
    } catch (err) {
      if (connectionLost(err, this.client)) {
        this.markBroken(err as Error);
        throw new ConnectionError(
          `The connection to the server was lost during the run (terminated, or the server restarted): ${(err as Error).message}`,
          { lost: true },
          { cause: err },
        );
      }
      throw err;
    }
  }

  /**
   * Several statements without parameters in one round trip (the simple query protocol: one
   * implicit transaction unless one is opened, each statement planned alone): the rows of each, in
   * order. A transaction's opening statements ride on its START TRANSACTION this way; bulk reads use
   * it where a UNION ALL of hundreds of tables would cost the planner more than the reads.
   */
  async queryBatch<T = Record<string, unknown>>(statements: readonly string[], tables = statements.length): Promise<T[][]> {
    if (statements.length === 0) return [];
    this.assertOpen();
    this.served += tables;
    try {
      const result = (await this.client.query(statements.join(';\n'))) as unknown as { rows: T[] } | Array<{ rows: T[] }>;
      return Array.isArray(result) ? result.map((r) => r.rows) : [result.rows];
    } catch (err) {
      if (connectionLost(err, this.client)) {
        this.markBroken(err as Error);
        throw new ConnectionError(
          `The connection to the server was lost during the run (terminated, or the server restarted): ${(err as Error).message}`,
          { lost: true },
          { cause: err },
        );
      }
      throw err;
    }
  }

  /** True while the client waits for the answer to a statement (for the watchdog). */
  get busy(): boolean {
    // pg 8.x keeps these as plain fields (its public getters are deprecated and warn on every process).
    const c = this.client as unknown as { _activeQuery?: unknown; _queryQueue?: unknown[] };
    return !!c._activeQuery || (c._queryQueue?.length ?? 0) > 0;
  }

  /** Cuts the connection (a stalled network): the pending statement fails with `reason`; the pool destroys it. */
  abort(reason: Error): void {
    this.markBroken(reason);
    (this.client as unknown as { connection?: { stream?: { destroy(err?: Error): void } } }).connection?.stream?.destroy(reason);
  }

  /** The backend pid of this session (for lock-holder messages and tests). */
  get processId(): number | undefined {
    return (this.client as unknown as { processID?: number }).processID;
  }
}

/**
 * Whether an error means the connection is gone: a SQLSTATE of class 08 (connection exception) or
 * 57P01-57P03 (the server ended the session), or, for errors raised by the client itself (which
 * carry no SQLSTATE), a client that can no longer be queried.
 */
export function connectionLost(err: unknown, client: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03')) return true;
  const state = client as { _queryable?: boolean; _ending?: boolean; _connected?: boolean };
  return typeof code !== 'string' && (state._queryable === false || state._ending === true || state._connected === false);
}
