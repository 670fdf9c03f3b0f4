/**
 * Health-aware pacing: before a target starts, its server (and its database) must look healthy
 * (db/health.ts). While it does not, new targets there wait — targets already running go on — and
 * the run says why: a `health` event when the pause starts, every 30 s while it lasts, when it ends.
 * A target that waited `maxPauseMs` is not started (NOT RUN, code HEALTH_PAUSE_LIMIT: nothing was
 * changed there; the next run picks it up).
 *
 * One sample per server at most every `checkEveryMs`, shared by every target waiting on it, read on
 * a session of the target's own pool: within the connection budget, and the connection is the one
 * the target then uses. A sample that fails, or a role that cannot see everything, is said once and
 * never fails the run: health checks hold targets back, they do not break runs.
 */
import { databaseKey, serverKey } from '../db/connection-spec';
import type { DatabasePool } from '../db/database-pool';
import { describeHealthReason, HealthLimits, HealthReason, HealthSample, judgeHealth, resolveHealthLimits, sampleHealth } from '../db/health';
import { errorToJSON } from '../errors';
import type { EventListener } from '../events';
import type { Target } from '../targets/target';
import { emptyResult, TargetResult } from './result';

export interface HealthGateOptions extends HealthLimits {
  /** application_name of the run's sessions (sessions named so, or `fleet:...`, are Fleet's). */
  applicationName: string;
}

/** The gate's options for a run: the config's limits (the defaults when absent), or undefined when `health: false`. */
export function healthGateOptions(config: HealthLimits | null | undefined, applicationName: string): HealthGateOptions | undefined {
  const limits = config === undefined ? resolveHealthLimits(undefined) : config;
  return limits ? { ...limits, applicationName } : undefined;
}

/** One pause of the fan-out on a server (or on one database of it, for long transactions). */
export interface HealthPause {
  server: string;
  /** Set when the pause concerned one database (blocked sessions, long transactions), null for the whole server (replication lag). */
  database: string | null;
  startedAt: string;
  durationMs: number;
  /** `resumed`: the server recovered; `gave-up`: targets waited maxPauseMs and were not started; `run-ended`: no target was left to wait. */
  ended: 'resumed' | 'gave-up' | 'run-ended';
  /** Why it paused (the first sample over a limit) and the last sample over a limit. */
  reasons: HealthReason[];
  last: HealthReason[];
  targetsWaited: number;
  targetsNotStarted: number;
}

/** The run report's `health` (present when the run paused or a check could not be made). */
export interface HealthReport {
  limits: HealthLimits;
  samples: number;
  pauses: HealthPause[];
  warnings: string[];
}

interface OpenPause {
  server: string;
  database: string | null;
  since: number;
  reasons: HealthReason[];
  last: HealthReason[];
  lastNotice: number;
  waiting: Set<string>;
  waited: Set<string>;
  notStarted: number;
}

const REMIND_EVERY_MS = 30_000;

export class HealthGate {
  private readonly samples = new Map<string, { at: number; sample: HealthSample | null; pending?: Promise<HealthSample | null> }>();
  private readonly open = new Map<string, OpenPause>();
  private readonly pauses: HealthPause[] = [];
  private readonly warnings: string[] = [];
  private sampleCount = 0;

  constructor(
    private readonly emit: EventListener,
    private readonly options: HealthGateOptions,
  ) {}

  /** Waits until the target's server and database look healthy: null (go), or the result of a target not started. */
  async admit(target: Target, pool: DatabasePool, signal?: AbortSignal): Promise<TargetResult | null> {
    const server = serverKey(target.connection);
    const { database } = target.connection;
    const scopes = [server, databaseKey(target.connection)];
    try {
      for (;;) {
        if (signal?.aborted)
          return notStarted(target, 'INTERRUPTED', `not attempted: the run was interrupted (${String(signal.reason ?? 'aborted')}) while it waited for the server to recover`);
        const sample = await this.sample(server, pool);
        if (!sample) return null;
        const judged = judgeHealth(sample, this.options, database);
        const paused = [this.observe(scopes[0], server, null, judged.server, target.id), this.observe(scopes[1], server, database, judged.database, target.id)].filter(
          (p): p is OpenPause => !!p,
        );
        if (paused.length === 0) return null;
        const since = Math.min(...paused.map((p) => p.since));
        if (this.options.maxPauseMs !== false && Date.now() - since >= this.options.maxPauseMs) return this.giveUp(target, paused);
        await sleep(Math.max(50, this.options.checkEveryMs - (Date.now() - sample.at)), signal);
      }
    } finally {
      for (const key of scopes) this.open.get(key)?.waiting.delete(target.id);
    }
  }

  /** What the run's report says of health: undefined when nothing paused and every check could be made. */
  report(): HealthReport | undefined {
    for (const [key, p] of this.open) this.close(key, p, p.notStarted > 0 ? 'gave-up' : 'run-ended');
    if (this.pauses.length === 0 && this.warnings.length === 0) return undefined;
    const { applicationName: _name, ...limits } = this.options;
    return { limits, samples: this.sampleCount, pauses: [...this.pauses], warnings: [...this.warnings] };
  }

  /** The server's latest sample, read again when older than checkEveryMs (one read at a time per server). */
  private sample(server: string, pool: DatabasePool): Promise<HealthSample | null> {
    const known = this.samples.get(server);
    if (known?.pending) return known.pending;
    if (known && Date.now() - known.at < this.options.checkEveryMs) return Promise.resolve(known.sample);
    const entry = { at: known?.at ?? 0, sample: known?.sample ?? null } as { at: number; sample: HealthSample | null; pending?: Promise<HealthSample | null> };
    entry.pending = pool
      .withSession((session) => sampleHealth(session, this.options.applicationName, this.options))
      .then((sample) => {
        this.sampleCount++;
        if (!sample.privileged)
          this.warnOnce(
            `health checks on ${server} see only what role "${sample.role}" may see: other users' sessions and the standbys' positions are hidden, so blocked sessions, ` +
              `long transactions and replication lag may go unnoticed (GRANT pg_monitor TO "${sample.role}" lets Fleet see them); the run goes on`,
          );
        return sample;
      })
      .catch((err: unknown) => {
        this.warnOnce(`the health check on ${server} failed (${errorToJSON(err).message}); targets there start without it`);
        return null;
      })
      .then((sample) => {
        this.samples.set(server, { at: Date.now(), sample });
        return sample;
      });
    this.samples.set(server, entry);
    return entry.pending;
  }

  /** Opens, refreshes or closes the pause of one scope after a judgement; returns it while open. */
  private observe(key: string, server: string, database: string | null, reasons: HealthReason[], target: string): OpenPause | undefined {
    let pause = this.open.get(key);
    if (reasons.length === 0) {
      if (pause) this.close(key, pause, 'resumed');
      return undefined;
    }
    const now = Date.now();
    if (!pause) {
      pause = { server, database, since: now, reasons, last: reasons, lastNotice: now, waiting: new Set(), waited: new Set(), notStarted: 0 };
      this.open.set(key, pause);
      pause.waiting.add(target);
      pause.waited.add(target);
      this.tell('paused', pause);
      return pause;
    }
    pause.last = reasons;
    pause.waiting.add(target);
    pause.waited.add(target);
    if (now - pause.lastNotice >= REMIND_EVERY_MS) {
      pause.lastNotice = now;
      this.tell('still-paused', pause);
    }
    return pause;
  }

  private giveUp(target: Target, paused: OpenPause[]): TargetResult {
    for (const p of paused) {
      if (p.notStarted++ === 0) this.tell('gave-up', p);
    }
    const why = paused.flatMap((p) => p.last.map(describeHealthReason)).join('; ');
    const result = notStarted(
      target,
      'HEALTH_PAUSE_LIMIT',
      `not attempted: ${paused[0].server} has been unhealthy for ${Math.round((Date.now() - Math.min(...paused.map((p) => p.since))) / 1000)} s, longer than ` +
        `health.maxPauseMs (${this.options.maxPauseMs} ms): ${why}. Nothing was changed here; run again once the server has recovered, or raise health.maxPauseMs`,
    );
    result.failed!.error.health = paused.flatMap((p) => p.last);
    return result;
  }

  private close(key: string, p: OpenPause, ended: HealthPause['ended']): void {
    this.open.delete(key);
    if (ended === 'resumed') this.tell('resumed', p);
    this.pauses.push({
      server: p.server,
      database: p.database,
      startedAt: new Date(p.since).toISOString(),
      durationMs: Date.now() - p.since,
      ended,
      reasons: p.reasons,
      last: p.last,
      targetsWaited: p.waited.size,
      targetsNotStarted: p.notStarted,
    });
  }

  private tell(state: 'paused' | 'still-paused' | 'resumed' | 'gave-up', p: OpenPause): void {
    this.emit({
      type: 'health',
      state,
      server: p.server,
      database: p.database,
      reasons: state === 'paused' ? p.reasons : p.last,
      pausedMs: Date.now() - p.since,
      waiting: p.waiting.size,
    });
  }

  private warnOnce(message: string): void {
    if (this.warnings.includes(message)) return;
    this.warnings.push(message);
    this.emit({ type: 'notice', message: `warning: ${message}` });
  }
}

function notStarted(target: Target, code: string, message: string): TargetResult {
  const result = emptyResult(target);
  result.failed = { migration: null, error: { code, message } };
  return result;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
