import { createHash } from 'node:crypto';
import { LockHolder, LockTimeoutError, throwIfInterrupted } from '../errors';
import type { SqlSession } from '../db/session';

/** The two int4 halves of an advisory lock key (both non-negative, so pg_locks shows them as-is). */
export interface LockKey {
  classId: number;
  objectId: number;
}

/**
 * One lock per target, derived from (database, schema, version table) like Flyway: runners on
 * different tenant schemas never wait for each other; two runners on the same target serialise.
 */
export function targetLockKey(database: string, schema: string, versionTable: string): LockKey {
  const digest = createHash('sha256').update(`fleet\u0000${database}\u0000${schema}\u0000${versionTable}`).digest();
  return { classId: digest.readUInt32BE(0) & 0x7fffffff, objectId: digest.readUInt32BE(4) & 0x7fffffff };
}

export interface LockOptions {
  /** How long to wait for a busy lock before failing (0: fail at once). */
  waitMs: number;
  /** Names the target in the timeout message. */
  target: string;
  /** Called once when the lock is busy and we start waiting. */
  onWait?: (holder: LockHolder | undefined) => void;
  pollMs?: number;
  /** The caller already tried once (batched with other session setup) and got this answer. */
  acquired?: boolean;
  /** Stops waiting when the run is interrupted. */
  signal?: AbortSignal;
  /**
   * The session goes back to the pool right after fn: the unlock rides on the pool's clean-up
   * statement (one round trip for both, see TargetSession.unlockOnRelease) instead of its own.
   */
  unlockWithSession?: boolean;
}

/**
 * Holds the target's session-level advisory lock around fn, on the session that runs the
 * migrations, and releases it in the same finally.
 */
export async function withTargetLock<T>(session: LockSession, key: LockKey, options: LockOptions, fn: () => Promise<T>): Promise<T> {
  await acquire(session, key, options);
  // Registered at once: the session may send its clean-up before fn returns (with a last COMMIT, db/session.ts).
  const deferred = !!options.unlockWithSession && !!session.unlockOnRelease;
  if (deferred) session.unlockOnRelease!(key);
  let outcome: { value: T } | { error: unknown };
  try {
    outcome = { value: await fn() };
  } catch (error) {
    outcome = { error };
  }
  try {
    if (!deferred) await session.query('SELECT pg_catalog.pg_advisory_unlock($1::int4, $2::int4)', [key.classId, key.objectId]);
  } catch (unlockError) {
    // The session is unusable (terminated, server restarting): a session-level lock ends with
    // its session, which the pool now destroys. What happened to the target is the news, not this.
    session.markBroken?.(unlockError as Error);
    if ('value' in outcome) return outcome.value;
  }
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}

/** A session that can be told it must not be reused (TargetSession). */
export interface LockSession extends SqlSession {
  markBroken?(reason: Error): void;
  /** Releases the lock with the session's clean-up when it goes back to the pool (TargetSession). */
  unlockOnRelease?(key: LockKey): void;
}

async function tryLock(session: SqlSession, key: LockKey): Promise<boolean> {
  const rows = await session.query<{ locked: boolean }>('SELECT pg_catalog.pg_try_advisory_lock($1::int4, $2::int4) AS locked', [key.classId, key.objectId]);
  return rows[0].locked;
}

async function acquire(session: SqlSession, key: LockKey, options: LockOptions): Promise<void> {
  if (options.acquired ?? (await tryLock(session, key))) return;
  const started = Date.now();
  options.onWait?.(await lockHolder(session, key));
  let delay = options.pollMs ?? 25;
  while (Date.now() - started < options.waitMs) {
    throwIfInterrupted(options.signal);
    await sleep(Math.min(delay, Math.max(1, options.waitMs - (Date.now() - started))));
    if (await tryLock(session, key)) return;
    delay = Math.min(delay * 2, 500);
  }
  throw new LockTimeoutError(options.target, Date.now() - started, await lockHolder(session, key));
}

/** Who holds the lock now (pg_locks joined with pg_stat_activity). */
export async function lockHolder(session: SqlSession, key: LockKey): Promise<LockHolder | undefined> {
  const rows = await session.query<{ pid: number; application_name: string; client_addr: string | null; since: Date | null }>(
    `SELECT a.pid, a.application_name, host(a.client_addr) AS client_addr, COALESCE(a.xact_start, a.backend_start) AS since
       FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
        AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid AND l.objsubid = 2
      LIMIT 1`,
    [key.classId, key.objectId],
  );
  if (rows.length === 0) return undefined;
  const r = rows[0];
  return { pid: r.pid, applicationName: r.application_name, clientAddr: r.client_addr, since: r.since ? new Date(r.since).toISOString() : null };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
