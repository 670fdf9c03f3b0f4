/**
 * The coordinator's side of queue mode (`migrate --queue`): it plans as a local run does and hands
 * each target to the queue instead of running it. The run records the migrations it was planned
 * with (manifest.ts) and its jobs go to the queue of that migration set, so only workers with the
 * same code take them; a worker that refuses says why, here too. Workers rebuild each target from
 * their own copy of the app and run it with the same engine; the coordinator's progress, journal
 * and report are built from the job results.
 */
import { serverKey } from '../db/connection-spec';
import type { TargetCommand } from '../executor/execute-plan';
import type { FleetPhase } from '../executor/run-fleet';
import { emptyResult, TargetResult } from '../executor/result';
import type { Target } from '../targets/target';
import type { FleetRuntime } from '../commands/runtime';
import { FleetQueue, describeOutput } from './fleet-queue';
import { queueLocation, newRunId } from './location';
import { fingerprintOf, manifestOf, MigrationManifest } from './manifest';
import { RUN_BEAT_MS } from './run-registry';
import { encodeCommand, TargetJob } from './target-job';

/** runFleet's `runTarget` that sends the target to the queue and waits for its result. */
export function remoteRunner(
  runtime: FleetRuntime,
  queue: FleetQueue,
  runId: string,
  command: TargetCommand,
  manifest: MigrationManifest,
): (target: Target) => Promise<TargetResult> {
  const declared = new Map<string, Promise<{ server: string; capacity: number }>>();
  const budgetOf = (target: Target): Promise<{ server: string; capacity: number }> => {
    const spelled = serverKey(target.connection);
    let budget = declared.get(spelled);
    if (!budget) {
      budget = (async () => {
        // Slots are keyed by the server's identity, as each worker's budget is (db/server-identity.ts), never by the URL's spelling.
        const server = await runtime.connections.serverId(target.connection);
        const capacity = (await runtime.connections.serverBudget(target.connection)).capacity;
        await queue.slots.declare(queue.name, server, capacity);
        return { server, capacity };
      })();
      declared.set(spelled, budget);
    }
    return budget;
  };
  const encoded = encodeCommand(command);
  return async (target) => {
    const { server, capacity } = await budgetOf(target);
    const job: TargetJob = {
      runId,
      app: runtime.config.app,
      target: target.id,
      database: target.info.database,
      ...(target.info.tenant !== null
        ? {
            tenant: {
              id: target.info.tenant,
              attributes: target.info.attributes ?? {},
              registration: target.registration ? { ...target.registration, id: target.info.tenant } : null,
            },
          }
        : {}),
      command: encoded,
      server,
      budget: capacity,
    };
    const { state, output } = await queue.submit(job);
    if (state === 'completed' && output && typeof output === 'object' && 'target' in output) return unplanned(output as TargetResult, target, manifest) ?? (output as TargetResult);
    const result = emptyResult(target);
    result.outcome = 'failed';
    result.failed =
      state === 'cancelled'
        ? { migration: null, error: { code: 'INTERRUPTED', message: 'not attempted: the run was interrupted before a worker took it' } }
        : { migration: null, error: { code: 'QUEUE_FAILED', message: `no worker could run it (${describeOutput(output)})` } };
    return result;
  };
}

/** A result naming a migration this run did not plan (a worker of other code): reported as a failure, never as applied. */
function unplanned(result: TargetResult, target: Target, manifest: MigrationManifest): TargetResult | null {
  const track = manifest[target.info.tenant !== null ? `${target.info.database}/tenant` : target.info.database];
  const planned = new Set((track ?? []).map(([name]) => name));
  const foreign = result.applied.filter((name) => !planned.has(name));
  if (!track || foreign.length === 0) return null;
  return {
    ...result,
    outcome: 'failed',
    failed: {
      migration: foreign[0],
      error: { code: 'QUEUE_FAILED', message: `a worker applied ${foreign.join(', ')}, which this run did not plan (its code differs from the coordinator's)` },
    },
  };
}

/** The coordinator's queue for one run: jobs go out through `runTarget`; an interruption cancels those no worker took. */
export async function openQueuedRun(runtime: FleetRuntime, command: TargetCommand) {
  const queue = await FleetQueue.open(queueLocation(runtime), runtime.config.app);
  const runId = newRunId(runtime.config.app);
  const manifest = manifestOf(runtime);
  const jobQueue = `${queue.name}.${fingerprintOf(manifest)}`;
  try {
    await queue.useJobQueue(jobQueue);
    await queue.runs.start(runId, jobQueue, manifest);
  } catch (err) {
    await queue.close();
    throw err;
  }
  runtime.emit({
    type: 'notice',
    message: `Queued run ${runId} on ${jobQueue} (schema ${queue.location.schema} of ${queue.location.spec.database}): start workers with \`fleet worker --app ${runtime.config.app}\` from this same code (workers with other migrations refuse the run)`,
  });
  const onAbort = () => void queue.cancelRun(runId).catch(() => undefined);
  runtime.signal?.addEventListener('abort', onAbort, { once: true });
  const alive = setInterval(() => void queue.runs.beat(runId).catch(() => undefined), RUN_BEAT_MS);
  const watch = watchRun(runtime, queue, runId);
  return {
    queue,
    runId,
    runTarget: remoteRunner(runtime, queue, runId, command, manifest),
    /** The run's phases, counted: once the last one is known, the run records how many targets it queues in all. */
    track(phases: FleetPhase[]): FleetPhase[] {
      let total = 0;
      let left = phases.length;
      const known = async (n: number) => {
        total += n;
        if (--left === 0) await queue.runs.plan(runId, total).catch(() => undefined);
      };
      return phases.map((phase) => {
        if (typeof phase !== 'function') {
          void known(phase.length);
          return phase;
        }
        return async (previous: Parameters<typeof phase>[0]) => {
          const resolved = await phase(previous);
          await known(resolved.targets.length);
          return resolved;
        };
      });
    },
    close: async () => {
      clearInterval(watch);
      clearInterval(alive);
      await queue.runs.beat(runId, true).catch(() => undefined);
      runtime.signal?.removeEventListener('abort', onAbort);
      await queue.close();
    },
  };
}

/** Never a silent wait: says each worker's refusal as it comes, and every 10 s without progress what the queue holds. */
function watchRun(runtime: FleetRuntime, queue: FleetQueue, runId: string): NodeJS.Timeout {
  const said = new Set<string>();
  let finished = -1;
  let tick = 0;
  return setInterval(() => {
    tick++;
    void queue.runs.refusals(runId).then(
      (refusals) => {
        for (const r of refusals.filter((x) => !said.has(x.holder))) {
          said.add(r.holder);
          runtime.emit({ type: 'notice', message: `worker ${r.holder} refused run ${runId}: its migrations differ from the ones this run was planned with (${r.reason})` });
        }
      },
      () => undefined,
    );
    if (tick % 5 !== 0) return;
    void queue.runCounts(runId).then(
      (c) => {
        const done = (c.completed ?? 0) + (c.failed ?? 0) + (c.cancelled ?? 0);
        const waiting = (c.created ?? 0) + (c.retry ?? 0);
        if (done === finished && waiting + (c.active ?? 0) > 0) {
          const refused = said.size ? `; ${said.size} worker(s) refused it (different migrations)` : '';
          runtime.emit({
            type: 'notice',
            message: `waiting for workers: ${waiting} job(s) queued, ${c.active ?? 0} running, ${done} done; nothing finished in the last 10 s${refused} (start one from this code: fleet worker --app ${runtime.config.app})`,
          });
        }
        finished = done;
      },
      () => undefined,
    );
  }, 2_000);
}
