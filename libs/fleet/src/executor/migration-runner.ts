import type { QueryRunner } from 'typeorm';
import type { MigrationDefinition } from '../migration/migration';
import { ConnectionError, FleetError, throwIfInterrupted } from '../errors';
import type { ClosableSession } from '../db/session';
import { ridingOn, sendEach } from './riding-statements';

/**
 * How the executor runs code and transactions on a target. The Postgres implementation drives a
 * TypeORM QueryRunner; tests use a recording fake.
 */
export interface MigrationRunner {
  /** See TransactionOptions: what may ride on the round trips that open and close the transaction. */
  inTransaction<T>(fn: () => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** With `progress` (non-transactional migrations): statements it lists are not run again, each completed one is added. */
  run(migration: MigrationDefinition, direction: 'up' | 'down', progress?: StatementProgress): Promise<void>;
}

/**
 * The statements of a non-transactional migration that completed (each committed on its own), in
 * order, with what each returned. A retry runs the migration's code again; its first statements
 * are answered from here instead of being sent, as long as they are the same texts with the same
 * parameters (a migration that takes another path on its retry fails instead: not safe to resume).
 */
export interface StatementProgress {
  done: Array<{ sql: string; params: string; result: unknown }>;
}

/**
 * Statements without parameters that open a transaction with its START TRANSACTION, in the same
 * round trip (the version table's creation, the registration re-check: execute-plan.ts). `check`
 * reads their rows, in order, and throws to roll the transaction back before anything else runs.
 */
export interface TransactionOpening {
  statements: readonly string[];
  check?: (rows: unknown[][]) => void;
}

export interface TransactionOptions {
  /** Sent in the round trip that opens the transaction. */
  opening?: TransactionOpening;
  /**
   * Nothing is sent on the target after this transaction commits: a runner whose session can close
   * (db/session.ts, ClosableSession) sends the session's clean-up (the lock's release, RESET ALL)
   * with the COMMIT instead of leaving it to the pool's own round trip.
   */
  last?: boolean;
}

/** A resumed migration sent another statement than the one its earlier attempt completed at that place. */
export class ResumeMismatchError extends Error {
  constructor(migration: string, index: number, before: string, now: string) {
    super(
      `cannot resume ${migration} safely: its statement #${index + 1} was \`${before.slice(0, 120)}\` in the earlier attempt and is \`${now.slice(0, 120)}\` now ` +
        '(its up() takes another path on a retry); its completed statements were not repeated. Look at the target, then fix its history (fleet stamp) or the migration.',
    );
  }
}

/** Receives every SQL text a migration sends (its Table API calls included), before it runs. */
export type SqlListener = (migration: string, sql: string) => void;

export class QueryRunnerMigrationRunner implements MigrationRunner {
  constructor(
    private readonly queryRunner: QueryRunner,
    /** Set by the scratch runs (lint, cadence) that read what the migrations issue. */
    private readonly onSql?: SqlListener,
    /** The run's interruption: no statement of a migration starts once it fired. */
    private readonly signal?: AbortSignal,
    /** The same connection, for the statements riding on START TRANSACTION and COMMIT (riding-statements.ts). */
    private readonly batch?: ClosableSession,
  ) {}

  async inTransaction<T>(fn: () => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const { opening, last } = options;
    let rows: unknown[][] = [];
    try {
      // A failure leaves the transaction open and aborted, as a failed START TRANSACTION would: the pool rolls it back.
      if (opening) rows = await this.begin(opening.statements);
      else await this.queryRunner.startTransaction();
    } catch (err) {
      throw connectionLost(this.queryRunner, err);
    }
    let result: T;
    try {
      opening?.check?.(rows);
      result = await fn();
    } catch (err) {
      // A dead connection took its transaction with it: nothing to roll back, and the news is the lost connection.
      if (this.queryRunner.isReleased) throw connectionLost(this.queryRunner, err);
      try {
        await this.queryRunner.rollbackTransaction();
      } catch (rollbackError) {
        // Never swallow a failed rollback: report both, the migration error first.
        throw new AggregateError([err, rollbackError], `${(err as Error)?.message}; and ROLLBACK failed: ${(rollbackError as Error)?.message}`);
      }
      throw err;
    }
    try {
      const closing = last ? this.batch?.closing() : undefined;
      if (!closing) await this.queryRunner.commitTransaction();
      // The clean-up went out only if the COMMIT did (a failed statement ends the batch): else the pool sends it.
      else if (await ridingOn(this.queryRunner, this.batch!, 'COMMIT', closing.statements, () => this.queryRunner.commitTransaction())) closing.sent();
    } catch (err) {
      throw connectionLost(this.queryRunner, err);
    }
    return result;
  }

  /** START TRANSACTION with the opening statements in one round trip where it can; their rows. */
  private async begin(statements: readonly string[]): Promise<unknown[][]> {
    const start = () => this.queryRunner.startTransaction();
    const rows = this.batch ? await ridingOn(this.queryRunner, this.batch, 'START TRANSACTION', statements, start) : await start();
    return rows ?? sendEach(this.queryRunner, statements);
  }

  async run(migration: MigrationDefinition, direction: 'up' | 'down', progress?: StatementProgress): Promise<void> {
    const listen = (sql: string) => {
      throwIfInterrupted(this.signal);
      this.onSql?.(migration.name, sql);
    };
    try {
      await migration.instance[direction](
        progress ? resumable(this.queryRunner, migration.name, progress, listen) : this.onSql || this.signal ? watched(this.queryRunner, listen) : this.queryRunner,
      );
    } catch (err) {
      throw connectionLost(this.queryRunner, err);
    }
  }
}

/**
 * The QueryRunner a migration gets when its statements are watched: the same runner (a prototype
 * view), whose `query` passes each text to `before` first (a cancellation point, or a recorder for
 * the scratch runs). TypeORM's Table API calls `this.query`, so its generated SQL is seen too.
 */
function watched(queryRunner: QueryRunner, listener: (sql: string) => void): QueryRunner {
  const view = Object.create(queryRunner) as QueryRunner;
  const original = queryRunner.query;
  view.query = function (this: QueryRunner, sql: string, ...rest: unknown[]) {
    listener(sql);
    return (original as (...args: unknown[]) => Promise<unknown>).call(this, sql, ...rest);
  } as QueryRunner['query'];
  return view;
}

/**
 * The QueryRunner of a non-transactional migration: every statement that completes is added to
 * `progress`; on a retry, the first `progress.done.length` statements are answered from it (if the
 * migration sends the same text and parameters again) and not sent to the server.
 */
function resumable(queryRunner: QueryRunner, migration: string, progress: StatementProgress, listener: (sql: string) => void): QueryRunner {
  const view = Object.create(queryRunner) as QueryRunner;
  const original = queryRunner.query;
  let index = 0;
  view.query = async function (this: QueryRunner, sql: string, ...rest: unknown[]) {
    const params = JSON.stringify(rest[0] ?? []);
    const at = index++;
    const before = progress.done[at];
    if (before) {
      if (before.sql !== sql || before.params !== params) throw new ResumeMismatchError(migration, at, before.sql, sql);
      return before.result;
    }
    listener(sql);
    const result = await (original as (...args: unknown[]) => Promise<unknown>).call(this, sql, ...rest);
    progress.done.push({ sql, params, result });
    return result;
  } as QueryRunner['query'];
  return view;
}

/**
 * TypeORM releases a QueryRunner whose connection dies, and the next call only says "Query runner
 * already released". Say what happened instead.
 */
export function connectionLost(queryRunner: QueryRunner, err: unknown): unknown {
  if (!queryRunner.isReleased || err instanceof FleetError) return err; // already says what happened
  return new ConnectionError(
    `The connection to the server was lost during the run (terminated, or the server restarted): ${(err as Error)?.message ?? err}`,
    { lost: true },
    { cause: err },
  );
}
