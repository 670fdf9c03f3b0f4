import { validateConfig } from '../config/load-config';
import { DEFAULT_HEALTH_LIMITS, describeHealthReason, HealthSample, judgeHealth, resolveHealthLimits } from './health';

const sample = (over: Partial<HealthSample> = {}): HealthSample => ({ at: 0, role: 'root', privileged: true, replicas: [], blocked: [], longTransactions: [], ...over });
const limits = { ...DEFAULT_HEALTH_LIMITS, maxReplicationLagMs: 5_000, maxReplicationLagBytes: 1_000_000, maxTransactionAgeMs: 10_000 };

describe('judgeHealth', () => {
  it('a standby behind by more bytes or more time than the limits holds the server back', () => {
    const bytes = judgeHealth(sample({ replicas: [{ name: 's1', state: 'streaming', lagMs: 100, lagBytes: 2_000_000 }] }), limits, 'db');
    expect(bytes.server).toMatchObject([{ check: 'replication-lag', replica: 's1', lagBytes: 2_000_000 }]);
    const time = judgeHealth(sample({ replicas: [{ name: 's1', state: 'streaming', lagMs: 6_000, lagBytes: 10 }] }), limits, 'db');
    expect(time.server).toMatchObject([{ check: 'replication-lag', lagMs: 6_000 }]);
    expect(describeHealthReason(time.server[0])).toBe('replication lag: standby s1 is 10 B of WAL, 6.0 s behind (limit 976.6 kB / 5.0 s)');
  });

  it('a standby that caught up (0 bytes behind) is healthy whatever replay_lag the view still shows', () => {
    expect(judgeHealth(sample({ replicas: [{ name: 's1', state: 'streaming', lagMs: 60_000, lagBytes: 0 }] }), limits, 'db').server).toEqual([]);
  });

  it('a check set to false is off', () => {
    const off = { ...limits, maxReplicationLagBytes: false as const, maxReplicationLagMs: false as const, maxBlockedSessions: false as const };
    const s = sample({
      replicas: [{ name: 's1', state: 'streaming', lagMs: 60_000, lagBytes: 9e9 }],
      blocked: [{ pid: 1, database: 'db', applicationName: 'app', state: 'active', ms: 10, blockedBy: [2] }],
    });
    expect(judgeHealth(s, off, 'db')).toEqual({ server: [], database: [] });
    expect(judgeHealth(s, limits, 'db')).toMatchObject({ server: [{ check: 'replication-lag' }], database: [{ check: 'blocked-sessions', sessions: 1 }] });
  });

  it("blocked sessions and long transactions hold back only their own database's targets", () => {
    const blocked = sample({ blocked: [{ pid: 1, database: 'other', applicationName: 'app', state: 'active', ms: 10, blockedBy: [2] }] });
    expect(judgeHealth(blocked, limits, 'db')).toEqual({ server: [], database: [] });
    expect(judgeHealth(blocked, limits, 'other').database).toMatchObject([{ check: 'blocked-sessions', oldest: { pid: 1, blockedBy: [2] } }]);
    const s = sample({ longTransactions: [{ pid: 7, database: 'other', applicationName: 'report', state: 'idle in transaction', ms: 20_000 }] });
    expect(judgeHealth(s, limits, 'db')).toEqual({ server: [], database: [] });
    expect(judgeHealth(s, limits, 'other').database).toMatchObject([{ check: 'long-transaction', database: 'other', transactions: 1, oldest: { pid: 7 } }]);
  });
});

describe('health config', () => {
  const load = (health: unknown) => validateConfig({ app: 'x', databases: { main: { migrations: './m' } }, health }, '/w/fleet.config.ts', '/w');

  it('defaults when absent, each limit may be false, health: false turns it off', () => {
    expect(load(undefined).health).toEqual(DEFAULT_HEALTH_LIMITS);
    expect(load({ maxTransactionAgeMs: false, checkEveryMs: 250 }).health).toEqual({ ...DEFAULT_HEALTH_LIMITS, maxTransactionAgeMs: false, checkEveryMs: 250 });
    expect(load(false).health).toBeNull();
    expect(resolveHealthLimits(false)).toBeNull();
  });

  it('bad limits are named field by field', () => {
    expect(() => load({ maxPauseMs: -1, checkEveryMs: 10, maxBlockedSessions: 1.5, lagMs: 3 })).toThrow(
      /health.lagMs: is not a known option.*\n.*health.maxBlockedSessions: must be a whole number >= 0, or false[\s\S]*health.checkEveryMs: must be a number >= 100[\s\S]*health.maxPauseMs: must be a number >= 0 \(milliseconds\), or false/,
    );
    expect(() => load('yes')).toThrow(/health: must be an object of limits/);
  });
});
