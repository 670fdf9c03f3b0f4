import type { ConnectionManager } from '../db/connection-manager';
import type { Target } from '../targets/target';
import { PhaseFeed } from './phase-feed';
import { emptyResult, TargetResult } from './result';
import { runFleet } from './run-fleet';

function target(i: number): Target {
  const tenant = `t${String(i).padStart(4, '0')}`;
  return {
    id: `app/db/${tenant}`,
    info: { id: `app/db/${tenant}`, app: 'app', database: 'db', track: 'default', schema: `tenant_${tenant}`, tenant, shard: null, attributes: {} },
    connection: { host: 'h', port: 1, user: 'u', database: 'db' },
    versionTable: 'fleet_migrations',
    sharedSearchPath: [],
    extensions: null,
    adoptTypeormTable: null,
    migrations: [],
    settings: {
      transactionMode: 'each',
      lockWaitMs: 0,
      lockTimeoutMs: 100,
      retries: { count: 2, windowMs: 60_000, maxLockTimeoutMs: 400 },
      idleInTransactionTimeoutMs: 0,
      statementTimeoutMs: 0,
      allowOutOfOrder: false,
    },
    phase: 1,
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('PhaseFeed', () => {
  it('never has more than its width of first attempts outstanding, and hands every target over', async () => {
    const feed = new PhaseFeed(3);
    let outstanding = 0;
    let most = 0;
    const seen: number[] = [];
    const queue = Array.from({ length: 50 }, (_, i) => i);
    await feed.feed(queue, async (i) => {
      outstanding++;
      most = Math.max(most, outstanding);
      await tick();
      seen.push(i);
      outstanding--;
      feed.firstAttemptEnded();
    });
    expect(most).toBe(3);
    // Emptied as it went: the queue holds none of the targets it handed over.
    expect(queue.every((slot) => slot === undefined)).toBe(true);
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
    await expect(feed.handedOver).resolves.toBeUndefined();
  });

  it('waits for every target before rejecting with the first failure', async () => {
    const feed = new PhaseFeed(2);
    const ended: number[] = [];
    const run = feed.feed([1, 2, 3, 4], async (i) => {
      await tick();
      feed.firstAttemptEnded();
      ended.push(i);
      if (i === 2) throw new Error('two failed');
    });
    await expect(run).rejects.toThrow('two failed');
    expect(ended.sort()).toEqual([1, 2, 3, 4]);
  });
});

describe('runFleet feeds a phase as slots free up', () => {
  const options = (runTarget: (t: Target) => Promise<TargetResult>) => ({
    concurrency: 2,
    connections: {} as ConnectionManager,
    emit: () => undefined,
    watchdog: false as const,
    runTarget,
  });

  it('takes up a target only when a slot is about to free up (not all 1000 at once)', async () => {
    // A target is "taken up" when the run first reads it (its retry state reads its settings):
    // before, all 1000 were taken up at once and waited for a slot, each with its closures.
    let takenUp = 0;
    let started = 0;
    let mostAhead = 0;
    const targets = Array.from({ length: 1000 }, (_, i) => {
      const t = target(i);
      const settings = t.settings;
      t.settings = {
        ...settings,
        get lockTimeoutMs() {
          takenUp++;
          return settings.lockTimeoutMs;
        },
      };
      return t;
    });
    const report = await runFleet(
      'migrate',
      [targets],
      { kind: 'migrate' },
      options(async (t) => {
        started++;
        mostAhead = Math.max(mostAhead, takenUp - started);
        await tick();
        return { ...emptyResult(t), outcome: 'unchanged' };
      }),
    );
    expect(report.summary).toMatchObject({ targets: 1000, unchanged: 1000 });
    expect(report.results.map((r) => r.target)).toEqual(targets.map((t) => t.id));
    expect(mostAhead).toBeLessThanOrEqual(4); // twice the concurrency
  });

  it('queues a retry behind the targets of its phase that had not started', async () => {
    const order: string[] = [];
    const report = await runFleet(
      'migrate',
      [Array.from({ length: 40 }, (_, i) => target(i))],
      { kind: 'migrate' },
      options(async (t) => {
        order.push(t.info.tenant!);
        await sleep(100); // 40 targets on 2 slots: 2 s, and the retry's backoff is at most 1 s
        const result = emptyResult(t);
        if (t.info.tenant === 't0001' && order.filter((o) => o === 't0001').length === 1) {
          result.outcome = 'failed';
          result.failed = { migration: null, error: { code: '55P03', message: 'lock timeout' }, transient: { kind: 'lock-timeout', sqlState: '55P03' } };
          return result;
        }
        result.outcome = 'unchanged';
        return result;
      }),
    );
    expect(report.summary).toMatchObject({ targets: 40, unchanged: 40 });
    // Its backoff (0.5-1 s) ended while targets had still not started: it ran after all of them.
    expect(order.indexOf('t0001')).toBe(1);
    expect(order.lastIndexOf('t0001')).toBe(40);
    expect(report.results[1].attempts).toHaveLength(2);
  }, 20_000);
});
