import type { QueryRunner } from 'typeorm';
import type { MigrationDefinition } from '../migration/migration';
import { ConnectionError, FleetError, throwIfInterrupted } from '../errors';

/**
 * How the executor runs code and transactions on a target. The Postgres implementation drives a
 * TypeORM QueryRunner; tests use a recording fake.
 */
export interface MigrationRunner {
  inTransaction<T>(fn: () => Promise<T>): Promise<T>;
  run(migration: MigrationDefinition, direction: 'up' | 'down'): Promise<void>;
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
  ) {}

  async inTransaction<T>(fn: () => Promise<T>): Promise<T> {
    try {
      await this.queryRunner.startTransaction();
    } catch (err) {
      throw connectionLost(this.queryRunner, err);
    }
    let result: T;
    try {
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
      await this.queryRunner.commitTransaction();
    } catch (err) {
      throw connectionLost(this.queryRunner, err);
    }
    return result;
  }

  async run(migration: MigrationDefinition, direction: 'up' | 'down'): Promise<void> {
    try {
      await migration.instance[direction](
        this.onSql || this.signal
          ? watched(this.queryRunner, (sql) => {
              throwIfInterrupted(this.signal);
              this.onSql?.(migration.name, sql);
            })
          : this.queryRunner,
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
 * TypeORM releases a QueryRunner whose connection dies, and the next call only says "Query runner
 * already released". Say what happened instead.
 */
export function connectionLost(queryRunner: QueryRunner, err: unknown): unknown {
  if (!queryRunner.isReleased || err instanceof FleetError) return err; // already says what happened
  return new ConnectionError(`The connection to the server was lost during the run (terminated, or the server restarted): ${(err as Error)?.message ?? err}`, {}, { cause: err });
}
