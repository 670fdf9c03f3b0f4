import type { QueryRunner } from 'typeorm';
import type { MigrationDefinition } from '../migration/migration';

/**
 * How the executor runs code and transactions on a target. The Postgres implementation drives a
 * TypeORM QueryRunner; tests use a recording fake.
 */
export interface MigrationRunner {
  inTransaction<T>(fn: () => Promise<T>): Promise<T>;
  run(migration: MigrationDefinition, direction: 'up' | 'down'): Promise<void>;
}

export class QueryRunnerMigrationRunner implements MigrationRunner {
  constructor(private readonly queryRunner: QueryRunner) {}

  async inTransaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.queryRunner.startTransaction();
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      try {
        await this.queryRunner.rollbackTransaction();
      } catch (rollbackError) {
        // Never swallow a failed rollback: report both, the migration error first.
        throw new AggregateError([err, rollbackError], `${(err as Error)?.message}; and ROLLBACK failed: ${(rollbackError as Error)?.message}`);
      }
      throw err;
    }
    await this.queryRunner.commitTransaction();
    return result;
  }

  async run(migration: MigrationDefinition, direction: 'up' | 'down'): Promise<void> {
    await migration.instance[direction](this.queryRunner);
  }
}
