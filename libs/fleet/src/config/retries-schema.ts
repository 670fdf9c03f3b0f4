import { s } from './schema';

const millis = () => s.number('a number >= 0 (milliseconds)', (v) => v >= 0);

/**
 * A database's `retries`. Transient failures (lock timeout, deadlock, serialization failure, a
 * statement cancelled by another session, a lost connection) requeue the target, after a backoff
 * with jitter (1 s, 2 s, 4 s... up to 30 s, half of it random). `count` (default 10): retries
 * after the first attempt (0: never); `windowMs` (default 600000): no retry starts later than this
 * after the first attempt; `maxLockTimeoutMs` (default 5000): the ceiling of the lock_timeout,
 * which doubles from `lockTimeoutMs` on each attempt. A migration class may override any of them
 * with its own `retries` property.
 */
export const retriesSchema = s.object(
  {
    count: s.optional(s.number('a whole number >= 0', (v) => Number.isInteger(v) && v >= 0)),
    windowMs: s.optional(millis()),
    maxLockTimeoutMs: s.optional(millis()),
  },
  '{ count?, windowMs?, maxLockTimeoutMs? }',
);
