import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { RetryPolicy } from './retries';

/**
 * What a migration may know about the target it runs on. Conditional migrations decide with it;
 * `attributes` come from the tenant registry (plan, region, ...).
 */
export interface TargetInfo {
  id: string;
  app: string;
  database: string;
  track: string;
  schema: string;
  tenant: string | null;
  shard: string | null;
  attributes: Readonly<Record<string, unknown>>;
}

/**
 * A TypeORM migration class, with Fleet's optional extras. Existing TypeORM migrations work
 * unchanged: `name` (or the class name) identifies it, `transaction = false` opts out of the
 * transaction (for CREATE INDEX CONCURRENTLY).
 */
export interface FleetMigration extends MigrationInterface {
  transaction?: boolean;
  /**
   * Conditional migration: return false (or a reason string) to skip this target. Skipped
   * migrations are recorded as `skipped`, so status and history show why.
   */
  appliesTo?(target: TargetInfo): boolean | string | Promise<boolean | string>;
  /**
   * This migration's own retry policy, over the database's `retries` (e.g. `{ count: 0 }`: a
   * backfill that must not run twice is never retried; `{ maxLockTimeoutMs: 2000 }`: a hot table).
   */
  retries?: Partial<RetryPolicy>;
  up(queryRunner: QueryRunner): Promise<unknown>;
  down(queryRunner: QueryRunner): Promise<unknown>;
}

/** A migration as the engine sees it: identity, ordering, checksum, and the code to run. */
export interface MigrationDefinition {
  /** Unique name within its track (TypeORM: the class name, ending in its timestamp). */
  name: string;
  /** Ordering key: the digits at the end of the name (TypeORM's timestamp convention). */
  timestamp: number;
  /** sha256 of the migration's source file (line endings normalised). */
  checksum: string;
  /** false when the migration opted out of transactions. */
  transactional: boolean;
  /** The class's own `retries` (checked when loaded), over the target's policy. */
  retries?: Partial<RetryPolicy>;
  /** Where it came from, for messages. */
  source: string;
  instance: FleetMigration;
}

/** Orders migrations the way TypeORM does: by timestamp, then by name. */
export function compareMigrations(a: { timestamp: number; name: string }, b: { timestamp: number; name: string }): number {
  return a.timestamp - b.timestamp || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}
