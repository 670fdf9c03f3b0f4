import { ConnectionError, InterruptedError, MigrationFailedError } from '../errors';
import { checkMigrationRetries } from '../migration/retries';
import { backoffMs, classifyTransient, lockTimeoutFor, nextAttempt } from './retry-policy';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });
const policy = { count: 3, windowMs: 60_000, maxLockTimeoutMs: 8_000 };

describe('classifyTransient', () => {
  it.each([
    ['55P03', 'lock-timeout'],
    ['40P01', 'deadlock'],
    ['40001', 'serialization'],
    ['57014', 'cancelled'],
    ['57P01', 'connection-lost'],
    ['08006', 'connection-lost'],
    ['ECONNRESET', 'connection-lost'],
  ])('%s is %s, also as the cause of a failed migration', (code, kind) => {
    expect(classifyTransient(pgError(code))).toEqual({ kind, sqlState: code });
    expect(classifyTransient(new MigrationFailedError('t', 'M1', 'up', pgError(code)))).toEqual({ kind, sqlState: code });
  });

  it('a lost connection reported by the client (no SQLSTATE) is transient', () => {
    expect(classifyTransient(new ConnectionError('lost', { lost: true }, { cause: new Error('Connection terminated unexpectedly') }))).toEqual({
      kind: 'connection-lost',
      sqlState: '08006',
    });
  });

  it('a client whose connection broke before the query is a lost connection too, whatever wraps it', () => {
    const broken = new Error('Client has encountered a connection error and is not queryable');
    expect(classifyTransient(new MigrationFailedError('t', 'M1', 'up', broken))).toEqual({ kind: 'connection-lost', sqlState: '08006' });
    expect(classifyTransient(new ConnectionError('The connection to the server was lost during the run', {}, { cause: broken }))).toEqual({
      kind: 'connection-lost',
      sqlState: '08006',
    });
  });

  it('never transient: other errors, statement_timeout, the run interrupted, a connection the watchdog cut', () => {
    expect(classifyTransient(pgError('22012'))).toBeNull();
    expect(classifyTransient(pgError('23505'))).toBeNull();
    expect(classifyTransient(new Error('boom'))).toBeNull();
    expect(classifyTransient(pgError('57014', 'canceling statement due to statement timeout'))).toBeNull();
    const aborted = new AbortController();
    aborted.abort('SIGINT');
    expect(classifyTransient(pgError('57014', 'canceling statement due to user request'), aborted.signal)).toBeNull();
    expect(classifyTransient(new InterruptedError('SIGINT'))).toBeNull();
    expect(classifyTransient(new ConnectionError('lost', { lost: true }, { cause: new ConnectionError('stalled network', { stalled: true }) }))).toBeNull();
  });

  it('a refused connection is a restart (retried) on a server this run reached, a wrong address (not retried) on one it never did', () => {
    expect(classifyTransient(new ConnectionError('Cannot connect', { neverReached: false }, { cause: pgError('ECONNREFUSED') }))).toEqual({
      kind: 'connection-lost',
      sqlState: 'ECONNREFUSED',
    });
    expect(classifyTransient(new ConnectionError('Cannot connect', { neverReached: true }, { cause: pgError('ECONNREFUSED') }))).toBeNull();
  });
});

describe('lock_timeout ladder and backoff', () => {
  it('doubles the lock_timeout from the first attempt up to the cap; 0 stays 0', () => {
    expect([1, 2, 3, 4, 5].map((a) => lockTimeoutFor(a, 1_000, 8_000))).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
    expect(lockTimeoutFor(3, 0, 8_000)).toBe(0);
    expect(lockTimeoutFor(3, 9_000, 8_000)).toBe(9_000); // a cap below the first value never shortens it
  });

  it('backs off 1 s, 2 s, 4 s... up to 30 s, half of it random', () => {
    expect([1, 2, 3, 6, 10].map((r) => backoffMs(r, () => 0))).toEqual([500, 1_000, 2_000, 15_000, 15_000]);
    expect([1, 2, 3, 6, 10].map((r) => backoffMs(r, () => 1))).toEqual([1_000, 2_000, 4_000, 30_000, 30_000]);
  });
});

describe('nextAttempt', () => {
  const lock = { kind: 'lock-timeout' as const, sqlState: '55P03' };
  it('retries a transient failure with the next lock_timeout, until the count is used up', () => {
    expect(nextAttempt(1, lock, policy, 0, 1_000, () => 1)).toEqual({ retry: true, waitMs: 1_000, lockTimeoutMs: 2_000, retriesLeft: 2 });
    expect(nextAttempt(3, lock, policy, 0, 1_000, () => 1)).toEqual({ retry: true, waitMs: 4_000, lockTimeoutMs: 8_000, retriesLeft: 0 });
    expect(nextAttempt(4, lock, policy, 0, 1_000)).toEqual({ retry: false, reason: 'retries used up (retries.count 3)' });
  });
  it('never retries a non-transient failure, nor past the window, nor with count 0', () => {
    expect(nextAttempt(1, null, policy, 0, 1_000)).toMatchObject({ retry: false, reason: expect.stringMatching(/not a transient error/) });
    expect(nextAttempt(1, lock, policy, 59_500, 1_000, () => 1)).toMatchObject({ retry: false, reason: expect.stringMatching(/window/) });
    expect(nextAttempt(1, lock, { ...policy, count: 0 }, 0, 1_000)).toEqual({ retry: false, reason: 'retries are off (retries.count 0)' });
  });
});

describe("a migration's retries property", () => {
  it('accepts a partial policy and refuses anything else, saying what is expected', () => {
    expect(checkMigrationRetries(undefined, 'M1', 'm.ts')).toBeUndefined();
    expect(checkMigrationRetries({ count: 0 }, 'M1', 'm.ts')).toEqual({ count: 0 });
    expect(() => checkMigrationRetries({ count: -1 }, 'M1', 'm.ts')).toThrow(/M1 \(m\.ts\): `retries` key "count" must be a whole number >= 0/);
    expect(() => checkMigrationRetries({ tries: 3 }, 'M1', 'm.ts')).toThrow(/unknown key "tries"/);
    expect(() => checkMigrationRetries(3, 'M1', 'm.ts')).toThrow(/must be an object/);
  });
});
