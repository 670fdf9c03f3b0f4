import pLimit from 'p-limit';
import { databaseKey, serverKey } from '../db/connection-spec';
import type { ConnectionManager } from '../db/connection-manager';
import { errorToJSON, InterruptedError } from '../errors';
import { withClient } from '../db/server';
import { ensureExtensions } from '../extensions/extensions';
import type { EventListener } from '../events';
import type { Target } from '../targets/target';
import type { TargetCommand } from './execute-plan';
import { emptyResult, ResultCompactor, RunReport, summarize, TargetResult } from './result';
import { runTargetOnPostgres } from './run-target';
import { Watchdog, WatchdogOptions } from './watchdog';
import { HealthGate, HealthGateOptions } from './health-gate';
import type { ResumeState } from './apply-steps';
import { classifyTransient, sleep } from './retry-policy';
import { TargetRetries } from './target-retries';
import { PhaseFeed } from './phase-feed';

export interface FleetRunOptions {
  /** Targets migrated at once (each holds one connection). */
  concurrency: number;
  /** Stop starting new targets after the first failure (default: attempt every target). */
  failFast?: boolean;
  connections: ConnectionManager;
  emit: EventListener;
  /**
   * The run's interruption (Ctrl-C, SIGTERM): no target starts after it fires, the statements
   * in flight are cancelled (pg_cancel_backend), their transactions roll back and their locks
   * are released; every target still gets a result.
   */
  signal?: AbortSignal;
  /** The heartbeat that names lock waits and cuts stalled connections (default: every 5 s, stall after 30 s). */
  watchdog?: Partial<WatchdogOptions> | false;
  /** Receives every SQL text the migrations send, per target (scratch runs read it; migrate does not set it). */
  onSql?: (target: Target, migration: string, sql: string) => void;
  /** Queue mode's coordinator: `runTarget` hands targets to workers (the progress view says so). */
  queued?: boolean;
  /** Keep each database's pool open when its targets are done (a queue worker's pools serve its next jobs). */
  keepConnections?: boolean;
  /** Health-aware pacing: new targets wait while their server is unhealthy (executor/health-gate.ts); default: off. */
  health?: HealthGateOptions;
  /** Runs one target; defaults to the PostgreSQL runner (tests may substitute). */
  runTarget?: (target: Target) => Promise<TargetResult>;
}

/**
 * The targets of one phase: a list, or a function called once the earlier phases are done (the
 * tenant track is discovered after the global track ran). It may also return ready results for
 * what could not become a target (invalid tenant ids, tenants of a failed global track).
 */
export type FleetPhase = Target[] | ((previous: readonly TargetResult[]) => Promise<{ targets: Target[]; results: TargetResult[] }>);

/**
 * Runs a command over many targets in parallel (p-limit), phase by phase. Every target ends with
 * a result; one failing target never hides the others.
 */
export async function runFleet(commandName: string, phases: FleetPhase[], command: TargetCommand, options: FleetRunOptions): Promise<RunReport> {
  const startedAt = new Date();
  const { emit, connections } = options;
  const limit = pLimit(Math.max(1, options.concurrency));
  const results: TargetResult[] = [];
  const compactor = new ResultCompactor();
  /** Report order: the order targets were planned in (config order, then tenants by id). */
  const position = new Map<string, number>();
  const place = (id: string) => {
    if (!position.has(id)) position.set(id, position.size);
  };
  let stop = false;
  let started = false;
  const signal = options.signal;
  /** Backends serving targets right now, to cancel their statements on an interruption. */
  const inFlight = new Map<string, { spec: Target['connection']; pid: number }>();
  /** The cancellations sent; the run ends once they are answered (a report never says "cancelled" of a statement still running). */
  const cancels: Promise<unknown>[] = [];
  const cancelInFlight = () => {
    for (const { spec, pid } of inFlight.values()) {
      cancels.push(
        withClient(spec, { applicationName: 'fleet:cancel', connectTimeoutMs: 5_000 }, (c) => c.query('SELECT pg_catalog.pg_cancel_backend($1)', [pid])).catch(() => undefined),
      );
    }
  };
  signal?.addEventListener('abort', cancelInFlight, { once: true });
  /** The open-connection budget of the servers these targets live on (what really bounds the fan-out). */
  const budgetOf = async (targets: Target[]): Promise<number | undefined> => {
    if (options.runTarget || targets.length === 0) return undefined;
    const spellings = new Map(targets.map((t) => [serverKey(t.connection), t.connection]));
    // Two spellings of one server share one budget object: count each server once.
    const budgets = new Set<{ capacity: number }>();
    for (const spec of spellings.values()) {
      const budget = await connections.serverBudget(spec).catch(() => undefined);
      if (budget) budgets.add(budget);
    }
    const total = [...budgets].reduce((sum, b) => sum + b.capacity, 0);
    return total || undefined;
  };
  const watchdog =
    options.watchdog === false || options.runTarget
      ? undefined
      : new Watchdog(emit, {
          intervalMs: options.watchdog?.intervalMs ?? 5_000,
          // a lock wait is named once it has lasted a heartbeat (at most 3 s)
          lockNoticeMs: options.watchdog?.lockNoticeMs ?? Math.min(3_000, options.watchdog?.intervalMs ?? 5_000),
          stallMs: options.watchdog?.stallMs ?? 30_000,
        });
  const health = options.health && !options.runTarget ? new HealthGate(emit, options.health) : undefined;
  /** Each database's extensions are checked (and installed) once per run for each view of it (global, tenant), before its first target. */
  const prepared = new Map<string, Promise<void>>();
  const prepare = (target: Target): Promise<void> => {
    const needs = target.extensions;
    if (command.kind !== 'migrate' || !needs || needs.names.length === 0) return Promise.resolve();
    const k = `${databaseKey(target.connection)}\0${needs.visible.join(',')}`; // a tenant sees less than its global track
    let done = prepared.get(k);
    if (!done) {
      done = (async () => {
        const installed = await (await connections.pool(target.connection)).withSession((session) => ensureExtensions(session, target.connection.database, needs));
        if (installed.length)
          emit({ type: 'notice', message: `Installed extension(s) ${installed.join(', ')} in schema ${needs.schema} of database ${target.connection.database}` });
      })();
      prepared.set(k, done);
    }
    return done;
  };

  /** One attempt on a target; null: a retry that did not start (interrupted, or --fail-fast stopped the run). */
  const attemptOne = async (target: Target, attempt: number, resume: Map<string, ResumeState>): Promise<TargetResult | null> => {
    let result: TargetResult;
    if (attempt > 1 && (signal?.aborted || stop)) return null;
    if (signal?.aborted) {
      result = emptyResult(target);
      result.failed = { migration: null, error: { code: 'INTERRUPTED', message: `not attempted: the run was interrupted (${String(signal.reason ?? 'aborted')})` } };
    } else if (stop) {
      result = emptyResult(target);
      result.failed = { migration: null, error: { code: 'NOT_RUN', message: 'not attempted: --fail-fast stopped the run after a failure' } };
    } else {
      if (attempt === 1) emit({ type: 'target-start', target: target.id });
      const t0 = Date.now();
      try {
        if (options.runTarget) result = await options.runTarget(target);
        else {
          if (target.createDatabase && (await connections.ensureDatabase(target.connection, target.createDatabase))) {
            emit({ type: 'notice', message: `Created database ${target.connection.database}` });
          }
          const pool = await connections.pool(target.connection);
          const held = await health?.admit(target, pool, signal); // a target not started: its server stayed unhealthy
          if (!held) await prepare(target);
          result =
            held ??
            (await runTargetOnPostgres(pool, target, command, emit, {
              onSql: options.onSql ? (migration, sql) => options.onSql!(target, migration, sql) : undefined,
              signal,
              attempt,
              resume,
              onSession: (session) => {
                const pid = session.processId;
                if (pid === undefined) return;
                inFlight.set(target.id, { spec: target.connection, pid });
                watchdog?.add({ target: target.id, spec: target.connection, pid, busy: () => session.busy, abort: (reason) => session.abort(reason) });
              },
            }));
        }
      } catch (err) {
        result = emptyResult(target);
        result.outcome = 'failed';
        const transient = classifyTransient(err, signal);
        result.failed = {
          migration: null,
          error: errorToJSON(signal?.aborted ? new InterruptedError(String(signal.reason ?? 'aborted')) : err),
          ...(transient ? { transient } : {}),
        };
        result.durationMs = Date.now() - t0;
      } finally {
        inFlight.delete(target.id);
        watchdog?.remove(target.id);
      }
    }
    return result;
  };

  /**
   * A target, attempt after attempt: a transient failure gives its slot back, waits its backoff
   * and queues the target again behind the others of its phase (or wave), with a longer lock_timeout.
   */
  const runOne = async (target: Target, remaining: Map<string, number>, feed: PhaseFeed): Promise<void> => {
    const first = Date.now();
    const retry = new TargetRetries(target, command, { queued: !!options.queued });
    // --fail-fast stops the run inside the slot: once the slot is free the next target starts at once.
    const attemptInSlot = async (t: Target, attempt: number) => {
      const r = await attemptOne(t, attempt, retry.resume);
      if (options.failFast && r && (r.outcome === 'failed' || r.outcome === 'blocked') && !r.failed?.transient) stop = true;
      return r;
    };
    let result: TargetResult;
    try {
      result = (await limit(() => attemptInSlot(target, 1)))!;
    } finally {
      feed.firstAttemptEnded();
    }
    for (;;) {
      const next = retry.after(result, Date.now() - first);
      if (!next) break;
      emit({ type: 'retry', target: target.id, ...next });
      await sleep(next.waitMs, signal);
      // Behind the targets of the phase that have not started yet (they are handed over as slots free up).
      await feed.handedOver;
      const again = signal?.aborted || stop ? null : await limit(() => attemptInSlot(retry.nextTarget(), next.attempt + 1));
      if (!again) {
        retry.stopped(signal?.aborted ? 'the run was interrupted' : '--fail-fast stopped the run');
        break;
      }
      result = again;
    }
    retry.finish(result, Date.now() - first);
    if (options.failFast && (result.outcome === 'failed' || result.outcome === 'blocked')) stop = true;
    results.push(compactor.compact(result));
    emit({ type: 'target-end', result });
    // A database whose targets are all done gives its connections back to the server budget.
    const key = databaseKey(target.connection);
    const left = (remaining.get(key) ?? 1) - 1;
    remaining.set(key, left);
    if (left === 0 && !options.runTarget && !options.keepConnections) await connections.release(target.connection);
  };

  for (const phase of phases) {
    let targets: Target[];
    if (Array.isArray(phase)) targets = phase;
    else {
      // Interrupted: the phase's targets are still listed (not attempted); discovery is one read-only
      // query per database, and it gets a second at most.
      let resolved: Awaited<ReturnType<typeof phase>> | null = signal?.aborted ? await settleWithin(phase([...results]), 1_000) : await phase([...results]);
      targets = resolved.targets;
      for (const r of resolved.results) {
        place(r.target);
        results.push(r);
        if (started) emit({ type: 'targets-added', count: 1 });
      }
      resolved = null; // not held while the phase runs (its list is let go below)
    }
    if (!started) {
      emit({
        type: 'run-start',
        command: commandName,
        targets: targets.length + results.length,
        concurrency: options.concurrency,
        connections: await budgetOf(targets),
        ...(options.queued ? { queued: true } : {}),
        // Later phases (the tenants, discovered once the global tracks ran) add their targets then.
        moreToCome: phases.indexOf(phase) < phases.length - 1,
      });
      started = true;
      for (const r of results) emit({ type: 'target-end', result: r });
    } else if (targets.length) emit({ type: 'targets-added', count: targets.length });
    targets.forEach((t) => place(t.id));
    const remaining = new Map<string, number>();
    for (const t of targets) remaining.set(databaseKey(t.connection), (remaining.get(databaseKey(t.connection)) ?? 0) + 1);
    // The slot is taken per attempt (runOne): a target waiting to be retried holds none. The
    // targets are started as slots free up (phase-feed.ts), not all at once.
    const feed = new PhaseFeed(Math.min(Number.MAX_SAFE_INTEGER, 2 * Math.max(1, options.concurrency)));
    // The feed empties a copy of the list as it goes, and the list is let go here: a target that
    // has ended is garbage unless the phase keeps it, so 100,000 targets are not held to the end.
    const queue = targets.slice();
    targets = [];
    await feed.feed(queue, (t) => runOne(t, remaining, feed));
  }
  if (!started) emit({ type: 'run-start', command: commandName, targets: 0, concurrency: options.concurrency });

  signal?.removeEventListener('abort', cancelInFlight);
  await Promise.all(cancels);
  watchdog?.stop();
  const summary = summarize(results);
  const report: RunReport = {
    ...(signal?.aborted ? { interrupted: String(signal.reason ?? 'aborted') } : {}),
    command: commandName,
    ok: summary.failed === 0 && summary.blocked === 0 && summary.notRun === 0,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    summary,
    results: [...results].sort((a, b) => position.get(a.target)! - position.get(b.target)!),
  };
  const healthReport = health?.report();
  if (healthReport) report.health = healthReport;
  emit({ type: 'run-end', report });
  return report;
}

/** What a phase resolves to within `ms`; nothing if it fails or takes longer (an interrupted run does not wait for it). */
async function settleWithin(pending: ReturnType<Exclude<FleetPhase, Target[]>>, ms: number): ReturnType<Exclude<FleetPhase, Target[]>> {
  const none = { targets: [], results: [] };
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof none>((resolve) => (timer = setTimeout(() => resolve(none), ms)));
  try {
    return await Promise.race([pending.catch(() => none), late]);
  } finally {
    clearTimeout(timer);
  }
}
