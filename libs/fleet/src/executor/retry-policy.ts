/**
 * Which failures are worth another try, and when: a target whose migration hit a transient error
 * (a lock it waited for too long, a deadlock, a serialization failure, a statement cancelled by
 * someone else, a lost connection) is requeued at the end of its phase (or wave) after a backoff
 * with jitter, and its next attempt runs with a longer lock_timeout (short first, longer later,
 * capped: GitLab's with_lock_retries). Anything else fails the target at once.
 */
import type { RetryPolicy } from '../migration/retries';

export { DEFAULT_RETRIES, type RetryPolicy } from '../migration/retries';

/** First backoff, and its ceiling (ms). */
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;

export type TransientKind = 'lock-timeout' | 'deadlock' | 'serialization' | 'cancelled' | 'connection-lost';

export interface TransientFailure {
  kind: TransientKind;
  /** The SQLSTATE (or the socket error code, for a lost connection without one). */
  sqlState: string;
}

const BY_SQLSTATE: Record<string, TransientKind> = {
  '55P03': 'lock-timeout',
  '40P01': 'deadlock',
  '40001': 'serialization',
  '57014': 'cancelled',
  '57P01': 'connection-lost', // admin shutdown (pg_terminate_backend)
  '57P02': 'connection-lost', // crash shutdown
  '57P03': 'connection-lost', // cannot connect now (starting up)
};
const SOCKET_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);

interface Chained {
  code?: unknown;
  message?: unknown;
  details?: { sqlState?: unknown; lost?: unknown; stalled?: unknown; neverReached?: unknown };
  cause?: unknown;
  errors?: unknown;
}

/**
 * Whether an error is transient, looking through its causes. Never transient: anything after the
 * run's own interruption (Ctrl-C cancels statements with 57014 too), a statement that hit the
 * user's statement_timeout (57014 again: it would hit it again), a connection Fleet's watchdog cut
 * (a stalled network: the target fails, RELIABILITY.md), a connection refused by a server never
 * reached in this run (an unreachable server fails fast).
 */
export function classifyTransient(err: unknown, signal?: AbortSignal): TransientFailure | null {
  if (signal?.aborted) return null;
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  let lost = false;
  let found: TransientFailure | null = null;
  while (queue.length && seen.size < 20) {
    const e = queue.shift() as Chained | undefined;
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    if (e.details?.stalled) return null;
    // A server this process never reached: a wrong address, or down since before the run (db/server.ts).
    if (e.details?.neverReached === true) return null;
    if (e.code === 'INTERRUPTED') return null;
    const code = typeof e.code === 'string' ? e.code : typeof e.details?.sqlState === 'string' ? e.details.sqlState : undefined;
    const message = typeof e.message === 'string' ? e.message : '';
    if (code === '57014' && /statement timeout/i.test(message)) return null;
    if (code && BY_SQLSTATE[code] && !found) found = { kind: BY_SQLSTATE[code], sqlState: code };
    else if (code && /^08[0-9A-Z]{3}$/.test(code) && !found) found = { kind: 'connection-lost', sqlState: code };
    else if (code && SOCKET_ERRORS.has(code) && !found) found = { kind: 'connection-lost', sqlState: code };
    // pg's own words for a lost connection, and for a client whose connection broke before this query.
    if (e.details?.lost === true || /^Connection terminated( unexpectedly)?$|^Client has encountered a connection error and is not queryable$/.test(message)) lost = true;
    queue.push(e.cause, ...(Array.isArray(e.errors) ? e.errors : []));
  }
  return found ?? (lost ? { kind: 'connection-lost', sqlState: '08006' } : null);
}

/** The lock_timeout of attempt `attempt` (1 = the first): `first`, doubled each time, at most `max` (0 stays 0: no timeout). */
export function lockTimeoutFor(attempt: number, first: number, max: number): number {
  if (first <= 0) return 0;
  return Math.max(first, Math.min(max, first * 2 ** Math.min(attempt - 1, 20)));
}

/** The wait before retry `retry` (1 = the first): 1 s doubled each time, at most 30 s; half of it random (jitter). */
export function backoffMs(retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(retry - 1, 20));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** The policy for a failure: the target's, with the failing migration's own `retries` over it. */
export function effectivePolicy(base: RetryPolicy, override: Partial<RetryPolicy> | undefined): RetryPolicy {
  return { ...base, ...(override ?? {}) };
}

/** One attempt of a target, as the report, the journal and the JSON events show it. */
export interface AttemptRecord {
  attempt: number;
  /** True for the attempt that succeeded (the last). */
  ok: boolean;
  /** The migration that failed (null: none, or before or after any migration). */
  migration: string | null;
  /** What kind of transient failure (null: succeeded, or not transient). */
  kind: TransientKind | null;
  sqlState: string | null;
  /** The error, or the outcome of a successful attempt. */
  message: string;
  /** The lock_timeout this attempt ran with (ms). */
  lockTimeoutMs: number;
  durationMs: number;
  /** The wait before the next attempt (ms); null when this was the last one. */
  waitMs: number | null;
  /** Why a failed attempt was the last (not transient, retries used up, window over, interrupted...). */
  gaveUp?: string;
}

/** What follows a failed attempt: another one after `waitMs`, or the reason there is none. */
export type NextAttempt = { retry: true; waitMs: number; lockTimeoutMs: number; retriesLeft: number } | { retry: false; reason: string };

/**
 * Decides on a retry after attempt `attempt` failed with `transient` (null: not transient), under
 * `policy`, `elapsedMs` after the target's first attempt began, the lock_timeout ladder starting at `firstLockTimeoutMs`.
 */
export function nextAttempt(
  attempt: number,
  transient: TransientFailure | null,
  policy: RetryPolicy,
  elapsedMs: number,
  firstLockTimeoutMs: number,
  random: () => number = Math.random,
): NextAttempt {
  if (!transient) return { retry: false, reason: 'not a transient error: never retried' };
  if (attempt > policy.count) return { retry: false, reason: policy.count === 0 ? 'retries are off (retries.count 0)' : `retries used up (retries.count ${policy.count})` };
  const waitMs = backoffMs(attempt, random);
  if (elapsedMs + waitMs > policy.windowMs) return { retry: false, reason: `the retry window is over (retries.windowMs ${policy.windowMs})` };
  return { retry: true, waitMs, lockTimeoutMs: lockTimeoutFor(attempt + 1, firstLockTimeoutMs, policy.maxLockTimeoutMs), retriesLeft: policy.count - attempt };
}

/** Waits `ms`, or less if the run is interrupted. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
