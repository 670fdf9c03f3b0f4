/**
 * `fleet worker`: takes the jobs of queued runs planned with this worker's own migrations and runs
 * each target exactly as a local run would. A run planned with other migrations (one more, one
 * fewer, one changed) is refused: none of its jobs is taken, the reason goes to stderr and to the
 * run (`fleet run status` shows it, the coordinator says it).
 */
import { ConfigError, errorToJSON } from '../errors';
import type { EventListener } from '../events';
import { Semaphore } from '../db/semaphore';
import type { TargetResult } from '../executor/result';
import { runFleet } from '../executor/run-fleet';
import { healthGateOptions } from '../executor/health-gate';
import { describeHealthReason } from '../db/health';
import type { Target } from '../targets/target';
import { CommonOptions, FleetRuntime, withRuntime } from '../commands/runtime';
import { FleetQueue } from './fleet-queue';
import { queueLocation } from './location';
import { manifestDifference, manifestOf } from './manifest';
import { keepPoolsFull } from './pool-keeper';
import { assertQueueNode } from './node-version';
import type { RunRecord } from './run-registry';
import { SlotBudget } from './slot-budget';
import { decodeCommand, TargetJob } from './target-job';

export interface WorkerOptions extends CommonOptions {
  /** Jobs worked on at once by this process (default 4). */
  concurrency?: number;
  /** Stop once no run this worker can serve has an open job (a Kubernetes Job, a CI matrix); default: work until stopped. */
  untilEmpty?: boolean;
  /** Receives one line per finished job (the CLI prints them). */
  log?: (line: string) => void;
  /** Receives one line per refused run, and why (the CLI prints them, also with --json); default: `log`. */
  warn?: (line: string) => void;
}

export interface WorkerReport {
  command: 'worker';
  ok: boolean;
  holder: string;
  queue: string;
  jobs: number;
  failed: number;
  /** Runs this worker refused: their migrations differ from its own. */
  refused: Array<{ run: string; reason: string }>;
  /** Spare tenants this worker made (tenants.pool.refill: 'worker', queue/pool-keeper.ts). */
  spares: number;
  /** This process's peak resident memory (KiB). */
  maxRssKb: number;
}

/**
 * Each job: rebuild the target and run it as a local run would (runFleet over that one target,
 * which creates a missing tenant database, checks extensions and watches for stalls), then return
 * its result. Every connection the worker opens first claims one of its server's slots (the budget
 * shared by every worker, slot-budget.ts) and frees it once closed; idle connections close after 100 ms.
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
    const log = options.log ?? (() => undefined);
    const counts = { jobs: 0, failed: 0 };
    const handler = jobHandler(runtime, stop.signal, log, counts);
    const mine = manifestOf(runtime);
    const serving = new Set<string>();
    const refused = new Map<string, string>();
    let open: RunRecord[] = [];
    log(
      `worker ${queue.holder}: taking the jobs of runs of ${queue.name} planned with this worker's migrations (schema ${queue.location.schema} of ${queue.location.spec.database}), ${concurrency} at a time`,
    );
    // Every second: serve the new runs planned with this code, refuse (and say so) the others.
    const scan = async () => {
      open = await queue.runs.open();
      for (const run of open) {
        if (!run.jobQueue || serving.has(run.jobQueue) || refused.has(run.runId)) continue;
        const why = run.manifest ? manifestDifference(run.manifest, mine) : 'the run recorded no migrations';
        if (why) {
          refused.set(run.runId, why);
          (options.warn ?? log)(
            `refused   run ${run.runId}: planned with other migrations than this worker's (${why}); none of its jobs taken. Start workers from the code the coordinator ran.`,
          );
          await queue.runs.refuse(run.runId, queue.holder, why);
          continue;
        }
        serving.add(run.jobQueue);
        await queue.work(run.jobQueue, concurrency, handler);
      }
    };
    // With untilEmpty: empty (no open job and no live run this worker serves) for 3 s once there was
    // a run for it; a worker started before any coordinator waits up to a minute.
    let empty = 0;
    const drain = async () => {
      const jobs = await queue.openJobs([...serving]);
      const live = open.filter((r) => r.state === 'running' && r.jobQueue && serving.has(r.jobQueue)).length;
      empty = jobs === 0 && live === 0 ? empty + 1 : 0;
      if (empty >= (serving.size || refused.size ? 3 : 60)) stop.abort('the queue is empty');
    };
    let busy = false;
    const tick = () => {
      if (busy) return;
      busy = true;
      void scan()
        .then(() => (options.untilEmpty ? drain() : undefined))
        .catch(() => undefined)
        .finally(() => (busy = false));
    };
    tick();
    const ticker = setInterval(tick, 1_000);
    // Pools refilled by workers: kept full between jobs, under the same slots.
    const pools = keepPoolsFull(runtime, queue, log, stop.signal);
    try {
      if (!stop.signal.aborted) await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
    } finally {
      clearInterval(ticker);
      await pools.stop();
      await queue.close({ graceful: true });
      // The pools close with the runtime; their slots go back as each connection ends.
      await runtime.connections.close();
      clearInterval(beat);
    }
    const refusedList = [...refused].map(([run, reason]) => ({ run, reason }));
    return {
      command: 'worker',
      ok: counts.failed === 0 && refusedList.length === 0,
      holder: queue.holder,
      queue: queue.name,
      ...counts,
      refused: refusedList,
      spares: pools.made(),
      maxRssKb: process.resourceUsage().maxRSS,
    };
  });
}

/** One job at a time per slot of this process's concurrency, whatever the run. */
function jobHandler(runtime: FleetRuntime, signal: AbortSignal, log: (line: string) => void, counts: { jobs: number; failed: number }) {
  const local = new Semaphore(runtime.concurrency);
  const quiet: EventListener = (event) => {
    if (event.type === 'notice') log(event.message);
    if (event.type === 'health')
      log(`health: ${event.state} on ${event.server}${event.database ? ` (database ${event.database})` : ''}: ${event.reasons.map(describeHealthReason).join('; ')}`);
  };
  return async (job: TargetJob, attempt: number): Promise<TargetResult> => {
    await local.acquire();
    try {
      if (job.app !== runtime.config.app) throw new ConfigError(`job for app ${job.app} in the queue of ${runtime.config.app}`);
      const target = rebuildTarget(runtime, job);
      const command = decodeCommand(job.command);
      const report = await runFleet(command.kind, [[target]], command, {
        concurrency: 1,
        connections: runtime.connections,
        emit: quiet,
        signal,
        watchdog: runtime.watchdog,
        health: healthGateOptions(runtime.config.health, runtime.settings.applicationName),
        // The worker's other jobs share the database's pool; idle connections close by themselves (and free their slots).
        keepConnections: true,
      });
      const result = report.results[0];
      counts.jobs++;
      if (result.outcome === 'failed' || result.outcome === 'blocked') counts.failed++;
      const applied = result.applied.length ? ` applied ${result.applied.length}` : '';
      log(
        `${result.outcome.padEnd(9)} ${result.target}${applied}${attempt > 1 ? ` (attempt ${attempt}: an earlier worker stopped)` : ''}${result.failed ? `: ${result.failed.error.message}` : ''}${result.outcome === 'blocked' ? `: ${blockedReason(result)}` : ''}`,
      );
      return result;
    } catch (err) {
      log(`error     ${job.target}: ${errorToJSON(err).message}`);
      throw err;
    } finally {
      local.release();
    }
  };
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
  const registration = job.tenant.registration;
  target.registration = registration ? { sql: registration.sql, globalSchema: registration.globalSchema } : null;
  if (target.id !== job.target) throw new ConfigError(`job ${job.target} rebuilt as ${target.id}`);
  return target;
}

function blockedReason(result: TargetResult): string {
  const finding = result.findings.find((f) => f.severity === 'error');
  return finding ? `${finding.migration ?? ''} ${finding.message}`.trim() : "blocked (see the coordinator's report)";
}
