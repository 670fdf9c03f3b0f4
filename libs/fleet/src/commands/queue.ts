/**
 * Queue mode: `migrate --queue` (the coordinator) and `fleet worker` (any number of processes,
 * anywhere). The coordinator plans as a local run does and hands each target to the queue
 * instead of running it; workers rebuild each target from their own copy of the app and run it
 * with the same engine (per-target lock, version table, checksums, findings); the coordinator's
 * progress, journal and report are built from the job results. See queue/fleet-queue.ts.
 */
import { serverKey } from '../db/connection-spec';
import { ConfigError, errorToJSON } from '../errors';
import type { EventListener } from '../events';
import type { TargetCommand } from '../executor/execute-plan';
import { blankResult, emptyResult, RunReport, summarize, TargetResult } from '../executor/result';
import { JournalWriter } from '../journal/run-journal';
import { runFleet } from '../executor/run-fleet';
import { FleetQueue, describeOutput, QueueLocation } from '../queue/fleet-queue';
import { SlotBudget } from '../queue/slot-budget';
import { decodeCommand, encodeCommand, TargetJob } from '../queue/target-job';
import type { Target } from '../targets/target';
import { CommonOptions, FleetRuntime, withRuntime } from './runtime';
import { assertQueueNode } from '../queue/node-version';

export const DEFAULT_QUEUE_SCHEMA = 'fleet_queue';

/** Where the app's queue lives: the config's `queue` (a database key and a schema), by default its first database. */
export function queueLocation(runtime: FleetRuntime): QueueLocation {
  const wanted = runtime.config.queue?.database;
  const d = wanted ? runtime.databases.find((x) => x.db.key === wanted) : runtime.databases[0];
  if (!d) throw new ConfigError(`queue.database "${wanted}" is not a database of app ${runtime.config.app} (databases: ${runtime.databases.map((x) => x.db.key).join(', ')}).`);
  return { spec: d.spec, schema: runtime.config.queue?.schema ?? DEFAULT_QUEUE_SCHEMA };
}

export function newRunId(app: string): string {
  return `${app}-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
}

/** The coordinator's side: runFleet's `runTarget` that sends the target to the queue and waits for its result. */
export function remoteRunner(runtime: FleetRuntime, queue: FleetQueue, runId: string, command: TargetCommand): (target: Target) => Promise<TargetResult> {
  const declared = new Map<string, Promise<number>>();
  const budgetOf = (target: Target): Promise<number> => {
    const server = serverKey(target.connection);
    let budget = declared.get(server);
    if (!budget) {
      budget = (async () => {
        const capacity = (await runtime.connections.serverBudget(target.connection)).capacity;
        await queue.slots.declare(queue.name, server, capacity);
        return capacity;
      })();
      declared.set(server, budget);
    }
    return budget;
  };
  const encoded = encodeCommand(command);
  return async (target) => {
    const job: TargetJob = {
      runId,
      app: runtime.config.app,
      target: target.id,
      database: target.info.database,
      ...(target.info.tenant !== null ? { tenant: { id: target.info.tenant, attributes: target.info.attributes ?? {}, registration: target.registration ?? null } } : {}),
      command: encoded,
      server: serverKey(target.connection),
      budget: await budgetOf(target),
    };
    const { state, output } = await queue.submit(job);
    if (state === 'completed' && output && typeof output === 'object' && 'target' in output) return output as TargetResult;
    const result = emptyResult(target);
    result.outcome = 'failed';
    result.failed =
      state === 'cancelled'
        ? { migration: null, error: { code: 'INTERRUPTED', message: 'not attempted: the run was interrupted before a worker took it' } }
        : { migration: null, error: { code: 'QUEUE_FAILED', message: `no worker could run it (${describeOutput(output)})` } };
    return result;
  };
}

/** The coordinator's queue for one run: jobs go out through `runTarget`; an interruption cancels those no worker took. */
export async function openQueuedRun(runtime: FleetRuntime, command: TargetCommand) {
  const queue = await FleetQueue.open(queueLocation(runtime), runtime.config.app);
  const runId = newRunId(runtime.config.app);
  runtime.emit({
    type: 'notice',
    message: `Queued run ${runId} on ${queue.name} (schema ${queue.location.schema} of ${queue.location.spec.database}): start workers with \`fleet worker --app ${runtime.config.app}\``,
  });
  const onAbort = () => void queue.cancelRun(runId).catch(() => undefined);
  runtime.signal?.addEventListener('abort', onAbort, { once: true });
  await queue.beatRun(runId);
  const alive = setInterval(() => void queue.beatRun(runId).catch(() => undefined), 5_000);
  // Never a silent wait: while nothing finishes, say every 10 s what the queue holds.
  let finished = -1;
  const watch = setInterval(() => {
    void queue.runCounts(runId).then(
      (c) => {
        const done = (c.completed ?? 0) + (c.failed ?? 0) + (c.cancelled ?? 0);
        const waiting = (c.created ?? 0) + (c.retry ?? 0);
        if (done === finished && waiting + (c.active ?? 0) > 0) {
          runtime.emit({
            type: 'notice',
            message: `waiting for workers: ${waiting} job(s) queued, ${c.active ?? 0} running, ${done} done; nothing finished in the last 10 s (start one: fleet worker --app ${runtime.config.app})`,
          });
        }
        finished = done;
      },
      () => undefined,
    );
  }, 10_000);
  return {
    queue,
    runId,
    runTarget: remoteRunner(runtime, queue, runId, command),
    close: async () => {
      clearInterval(watch);
      clearInterval(alive);
      await queue.beatRun(runId, true).catch(() => undefined);
      runtime.signal?.removeEventListener('abort', onAbort);
      await queue.close();
    },
  };
}

export interface WorkerOptions extends CommonOptions {
  /** Jobs worked on at once by this process (default 4). */
  concurrency?: number;
  /** Stop once the app's queue has no open job (a Kubernetes Job, a CI matrix); default: work until stopped. */
  untilEmpty?: boolean;
  /** Receives one line per finished job (the CLI prints them). */
  log?: (line: string) => void;
}

export interface WorkerReport {
  command: 'worker';
  ok: boolean;
  holder: string;
  queue: string;
  jobs: number;
  failed: number;
  /** This process's peak resident memory (KiB). */
  maxRssKb: number;
}

/**
 * `fleet worker`: takes the app's jobs until stopped (or, with `untilEmpty`, until the queue has
 * nothing left). Each job: rebuild the target and run it exactly as a local run would (runFleet
 * over that one target, which creates a missing tenant database, checks extensions and watches
 * for stalls), then return its result. Every connection the worker opens first claims one of its
 * server's slots (the budget shared by every worker, queue/slot-budget.ts) and frees it once
 * closed; idle connections close after 100 ms.
 */
export async function work(options: WorkerOptions): Promise<WorkerReport> {
  assertQueueNode('fleet worker', options.env);
  const concurrency = options.concurrency ?? 4;
  const stop = new AbortController();
  const outer = options.signal;
  outer?.addEventListener('abort', () => stop.abort(outer.reason), { once: true });
  // Connections to the targets' servers take slots shared by every worker (the queue opens below, before any job).
  let queueRef: FleetQueue | undefined;
  const sharedBudget = (server: string) => new SlotBudget(queueRef!.slots, queueRef!.name, server, concurrency, stop.signal);
  return withRuntime({ ...options, concurrency, sharedBudget }, { createDatabases: true }, async (runtime) => {
    const queue = await FleetQueue.open(queueLocation(runtime), runtime.config.app);
    queueRef = queue;
    const beat = setInterval(() => void queue.slots.heartbeat(queue.name).catch(() => undefined), 5_000);
    let jobs = 0;
    let failed = 0;
    const log = options.log ?? (() => undefined);
    const quiet: EventListener = (event) => {
      if (event.type === 'notice') log(event.message);
    };
    log(`worker ${queue.holder}: taking jobs of ${queue.name} (schema ${queue.location.schema} of ${queue.location.spec.database}), ${concurrency} at a time`);
    const handler = async (job: TargetJob, attempt: number): Promise<TargetResult> => {
      if (job.app !== runtime.config.app) throw new ConfigError(`job for app ${job.app} in the queue of ${runtime.config.app}`);
      const target = rebuildTarget(runtime, job);
      const command = decodeCommand(job.command);
      try {
        const report = await runFleet(command.kind, [[target]], command, {
          concurrency: 1,
          connections: runtime.connections,
          emit: quiet,
          signal: stop.signal,
          watchdog: runtime.watchdog,
          // The worker's other jobs share the database's pool; idle connections close by themselves (and free their slots).
          keepConnections: true,
        });
        const result = report.results[0];
        jobs++;
        if (result.outcome === 'failed' || result.outcome === 'blocked') failed++;
        const applied = result.applied.length ? ` applied ${result.applied.length}` : '';
        log(
          `${result.outcome.padEnd(9)} ${result.target}${applied}${attempt > 1 ? ` (attempt ${attempt}: an earlier worker stopped)` : ''}${result.failed ? `: ${result.failed.error.message}` : ''}${result.outcome === 'blocked' ? `: ${blockedReason(result)}` : ''}`,
        );
        return result;
      } catch (err) {
        log(`error     ${job.target}: ${errorToJSON(err).message}`);
        throw err;
      }
    };
    let drain: NodeJS.Timeout | undefined;
    if (options.untilEmpty) {
      // Empty (no open job, no live coordinator) for 3 s once there was work; a worker started
      // before any coordinator waits up to a minute.
      let empty = 0;
      let seenWork = false;
      drain = setInterval(() => {
        void Promise.all([queue.openJobs(), queue.liveRuns()]).then(
          ([open, live]) => {
            if (open > 0) seenWork = true;
            // A live coordinator may still queue a phase (the tenants, after the global tracks).
            empty = open === 0 && live === 0 ? empty + 1 : 0;
            if (empty >= (seenWork ? 3 : 60)) stop.abort('the queue is empty');
          },
          () => undefined,
        );
      }, 1_000);
    }
    try {
      await queue.work(concurrency, handler, stop.signal);
    } finally {
      if (drain) clearInterval(drain);
      await queue.close({ graceful: true });
      // The pools close with the runtime; their slots go back as each connection ends.
      await runtime.connections.close();
      clearInterval(beat);
    }
    return { command: 'worker', ok: failed === 0, holder: queue.holder, queue: queue.name, jobs, failed, maxRssKb: process.resourceUsage().maxRSS };
  });
}

/** The target a job names, from this worker's copy of the app (no discovery: the job says who the tenant is). */
function rebuildTarget(runtime: FleetRuntime, job: TargetJob): Target {
  if (!job.tenant) {
    const target = runtime.globalTargets().find((t) => t.id === job.target);
    if (!target) throw new ConfigError(`${job.target} is not a target of this worker's copy of ${runtime.config.app} (is it the same version as the coordinator's?)`);
    return target;
  }
  const d = runtime.databases.find((x) => x.db.key === job.database && x.db.tenants);
  if (!d) throw new ConfigError(`${job.database} has no tenant track in this worker's copy of ${runtime.config.app}`);
  const target = runtime.tenantTarget(d, { id: job.tenant.id, attributes: job.tenant.attributes }, { createDatabases: true });
  target.registration = job.tenant.registration ?? null;
  if (target.id !== job.target) throw new ConfigError(`job ${job.target} rebuilt as ${target.id}`);
  return target;
}

/** `fleet run status <run>`: a queued run as the queue sees it (also after its coordinator died). */
export async function runStatus(options: CommonOptions & { run?: string }) {
  assertQueueNode('fleet run status', options.env);
  return withRuntime(options, { createDatabases: false }, async (runtime) => {
    const queue = await FleetQueue.open(queueLocation(runtime), runtime.config.app);
    try {
      const runs = await queue.runs();
      const runId = options.run ?? runs[0]?.runId;
      if (!runId) return { command: 'run status', ok: true, run: null, jobs: [], counts: {} };
      const jobs = await queue.runJobs(runId);
      const counts: Record<string, number> = {};
      for (const j of jobs) counts[j.state] = (counts[j.state] ?? 0) + 1;
      return { command: 'run status', ok: !jobs.some((j) => j.state === 'failed' || j.result?.outcome === 'failed'), run: runId, counts, jobs };
    } finally {
      await queue.close();
    }
  });
}

function blockedReason(result: TargetResult): string {
  const finding = result.findings.find((f) => f.severity === 'error');
  return finding ? `${finding.migration ?? ''} ${finding.message}`.trim() : "blocked (see the coordinator's report)";
}

/**
 * `fleet run wait`: picks up a queued run whose coordinator stopped: waits until its jobs are
 * all done, then reports it and writes its journal from the job results, as the coordinator would
 * have. (Rerunning `migrate --queue` also converges: targets the workers finished are unchanged.)
 */
export async function runWait(options: CommonOptions & { run?: string; journalDir?: string; pollMs?: number }): Promise<RunReport> {
  assertQueueNode('fleet run wait', options.env);
  return withRuntime(options, { createDatabases: false }, async (runtime) => {
    const queue = await FleetQueue.open(queueLocation(runtime), runtime.config.app);
    try {
      const runId = options.run ?? (await queue.runs())[0]?.runId;
      if (!runId) throw new ConfigError(`no queued run of ${runtime.config.app} in ${queue.name}`);
      const startedAt = new Date();
      let said = -1;
      for (;;) {
        const counts = await queue.runCounts(runId);
        if (Object.keys(counts).length === 0) throw new ConfigError(`run ${runId} has no jobs in ${queue.name} (see fleet run status)`);
        const open = (counts.created ?? 0) + (counts.retry ?? 0) + (counts.active ?? 0);
        if (open === 0) break;
        if (open !== said) runtime.emit({ type: 'notice', message: `run ${runId}: ${open} job(s) not finished yet` });
        said = open;
        if (runtime.signal?.aborted) throw new ConfigError(`stopped waiting for run ${runId} (${open} job(s) still open)`);
        await new Promise((r) => setTimeout(r, options.pollMs ?? 1_000));
      }
      const jobs = await queue.runJobs(runId);
      const results: TargetResult[] = jobs.map((j) => {
        if (j.result) return j.result;
        const [app, database, tenant] = j.target.split('/');
        const r = blankResult({ target: j.target, app, database, schema: '', tenant: tenant ?? null });
        r.outcome = j.state === 'cancelled' ? 'not-run' : 'failed';
        r.failed = { migration: null, error: { code: j.state === 'cancelled' ? 'INTERRUPTED' : 'QUEUE_FAILED', message: j.error ?? `job ${j.state}` } };
        return r;
      });
      const summary = summarize(results);
      const report: RunReport = {
        command: 'migrate',
        ok: summary.failed === 0 && summary.blocked === 0 && summary.notRun === 0,
        startedAt: startedAt.toISOString(),
        durationMs: Date.now() - startedAt.getTime(),
        summary,
        results,
        queue: { run: runId, queue: queue.name, schema: queue.location.schema },
      };
      if (options.journalDir) {
        const journal = new JournalWriter(options.journalDir, runtime.config.app, 'migrate', { targets: [] });
        if (journal.finish(report)) report.journal = journal.path;
      }
      return report;
    } finally {
      await queue.close();
    }
  });
}
