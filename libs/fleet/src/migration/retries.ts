/**
 * The retry policy's shape and defaults (what the config's `retries` and a migration class's
 * `retries` property hold); executor/retry-policy.ts applies it.
 */
import { MigrationSourceError } from '../errors';

/** How a target's transient failures are retried (config `retries`, or a migration's `retries` property). */
export interface RetryPolicy {
  /** Retries after the first attempt (0: never retry). */
  count: number;
  /** No retry starts later than this after the target's first attempt began (ms). */
  windowMs: number;
  /** The lock_timeout ceiling: it doubles from `lockTimeoutMs` on each attempt up to this (ms). */
  maxLockTimeoutMs: number;
}

/**
 * The defaults: a blocker of a few minutes is outlived (ten retries, backoffs up to 30 s), and no
 * try holds the app's queries queued behind it for longer than 5 s (the former fixed lock_timeout).
 */
export const DEFAULT_RETRIES: RetryPolicy = { count: 10, windowMs: 600_000, maxLockTimeoutMs: 5_000 };

const KEYS: ReadonlyArray<keyof RetryPolicy> = ['count', 'windowMs', 'maxLockTimeoutMs'];

/** Checks a migration class's `retries` property: `{ count?, windowMs?, maxLockTimeoutMs? }`, whole numbers >= 0. */
export function checkMigrationRetries(value: unknown, migration: string, source: string): Partial<RetryPolicy> | undefined {
  if (value === undefined) return undefined;
  const problem = (why: string) =>
    new MigrationSourceError(
      `Migration ${migration} (${source}): \`retries\` ${why}. Expected { count?, windowMs?, maxLockTimeoutMs? } with whole numbers >= 0, e.g. retries = { count: 0 } to never retry it.`,
      { migration, source },
    );
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw problem('must be an object');
  for (const [k, v] of Object.entries(value)) {
    if (!KEYS.includes(k as keyof RetryPolicy)) throw problem(`has an unknown key "${k}"`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw problem(`key "${k}" must be a whole number >= 0`);
  }
  return value as Partial<RetryPolicy>;
}
