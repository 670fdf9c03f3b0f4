/**
 * `fleet run status` and `fleet run wait`: a queued run as the queue sees it, also after its
 * coordinator died. A run is `running` while its coordinator beats, `finished` once it ended, and
 * `abandoned` when it went silent (run-registry.ts): an abandoned run is never ok, since targets
 * its coordinator had not queued yet are nowhere in the queue. It is finished by a new run
 * (`fleet migrate --queue`): targets already at head are unchanged, the rest are migrated.
 */
import { ConfigError } from '../errors';
import { blankResult, RunReport, summarize, TargetResult } from '../executor/result';
import { JournalWriter } from '../journal/run-journal';
import { CommonOptions, withRuntime } from '../commands/runtime';
import { FleetQueue, JobState } from './fleet-queue';
import { queueLocation } from './location';
import { assertQueueNode } from './node-version';
import type { Refusal, RunRecord, RunState } from './run-registry';

/** `queued`: its coordinator died after queuing every target it planned; the queue finishes it. */
export type RunStatusState = RunState | 'queued';

/** Done, pending (queued, retrying or running) and failed jobs of a run. */
export interface RunTotals {
  done: number;
  pending: number;
  failed: number;
}

export interface AbandonedRun {
  state: RunState;
  heartbeatAt: string;
  totals: RunTotals;
  message: string;
}

/** Jobs by outcome; an abandoned run's targets planned but never queued count as pending. */
function totalsOf(jobs: JobState[], run: RunRecord): RunTotals {
  const totals = { done: 0, pending: Math.max(0, (run.planned ?? 0) - jobs.length), failed: 0 };
  for (const j of jobs) {
    if (j.state === 'failed' || j.state === 'cancelled' || j.result?.outcome === 'failed' || j.result?.outcome === 'blocked') totals.failed++;
    else if (j.state === 'completed') totals.done++;
    else totals.pending++;
  }
  return totals;
}

/**
 * A run whose coordinator went silent is abandoned unless it had queued every target it planned
 * (then the queue alone finishes it, and its jobs are the whole run).
 */
function isAbandoned(run: RunRecord, jobs: JobState[]): boolean {
  return run.state === 'abandoned' && (run.planned === null || jobs.length < run.planned);
}

function abandonedMessage(run: RunRecord, totals: RunTotals, app: string): string {
  const unknown = run.planned === null ? ', and targets of phases it had not planned yet (the tenants after the global tracks) are in no count' : '';
  return (
    `run ${run.runId} was abandoned: its coordinator stopped (last heartbeat ${run.heartbeatAt}) before it had queued every target; ` +
    `${totals.done} done, ${totals.pending} pending, ${totals.failed} failed${unknown}. ` +
    `Finish it with \`fleet migrate --queue --app ${app}\` (targets already at head are unchanged).`
  );
}

/** The run asked for, or the app's newest run; never another run's. */
async function findRun(queue: FleetQueue, runId: string | undefined): Promise<RunRecord | null> {
  const run = runId ? await queue.runs.get(runId) : await queue.runs.newest();
  if (runId && !run) throw new ConfigError(`no queued run ${runId} of this app in ${queue.name} (schema ${queue.location.schema}); \`fleet run status\` shows the newest`);
  return run;
}

export interface RunStatusReport {
  command: 'run status';
  ok: boolean;
  run: string | null;
  state?: RunStatusState;
  heartbeatAt?: string;
  finishedAt?: string | null;
  /** Jobs by queue state. */
  counts: Record<string, number>;
  totals?: RunTotals;
  refusals?: Refusal[];
  message?: string;
  jobs: JobState[];
}

/** `fleet run status <run>`: ok unless the run was abandoned or a target failed. */
export async function runStatus(options: CommonOptions & { run?: string }): Promise<RunStatusReport> {
  assertQueueNode('fleet run status', options.env);
  return withRuntime(options, { createDatabases: false }, async (runtime) => {
    const queue = await FleetQueue.open(queueLocation(runtime), runtime.config.app);
    try {
      const run = await findRun(queue, options.run);
      if (!run) return { command: 'run status', ok: true, run: null, jobs: [], counts: {} };
      const jobs = await queue.runJobs(run.runId);
      const counts: Record<string, number> = {};
      for (const j of jobs) counts[j.state] = (counts[j.state] ?? 0) + 1;
      const totals = totalsOf(jobs, run);
      const refusals = await queue.runs.refusals(run.runId);
      const abandoned = isAbandoned(run, jobs);
      const message = abandoned ? abandonedMessage(run, totals, runtime.config.app) : undefined;
      return {
        command: 'run status',
        ok: !abandoned && totals.failed === 0,
        run: run.runId,
        state: abandoned ? 'abandoned' : run.state === 'abandoned' ? 'queued' : run.state,
        heartbeatAt: run.heartbeatAt,
        finishedAt: run.finishedAt,
        counts,
        totals,
        refusals,
        ...(message ? { message } : {}),
        jobs,
      };
    } finally {
      await queue.close();
    }
  });
}

/**
 * `fleet run wait`: waits until the run's coordinator has ended (or is taken for dead) and its
 * queued jobs are all done, then reports the run and writes its journal from the job results. An
 * abandoned run's report is not ok and says so (`abandoned`).
 */
export async function runWait(options: CommonOptions & { run?: string; journalDir?: string; pollMs?: number }): Promise<RunReport & { abandoned?: AbandonedRun }> {
  assertQueueNode('fleet run wait', options.env);
  return withRuntime(options, { createDatabases: false }, async (runtime) => {
    const queue = await FleetQueue.open(queueLocation(runtime), runtime.config.app);
    try {
      let run = await findRun(queue, options.run);
      if (!run) throw new ConfigError(`no queued run of ${runtime.config.app} in ${queue.name}`);
      const runId = run.runId;
      const startedAt = new Date();
      let said = '';
      for (;;) {
        const counts = await queue.runCounts(runId);
        run = (await queue.runs.get(runId))!;
        const open = (counts.created ?? 0) + (counts.retry ?? 0) + (counts.active ?? 0);
        if (open === 0 && run.state !== 'running') break;
        const now = `${open} job(s) not finished yet${run.state === 'running' ? ', its coordinator is still running' : ''}`;
        if (now !== said) runtime.emit({ type: 'notice', message: `run ${runId}: ${now}` });
        said = now;
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
      const totals = totalsOf(jobs, run);
      const abandoned = isAbandoned(run, jobs) ? { state: run.state, heartbeatAt: run.heartbeatAt, totals, message: abandonedMessage(run, totals, runtime.config.app) } : undefined;
      if (abandoned) runtime.emit({ type: 'notice', message: abandoned.message });
      const report: RunReport & { abandoned?: AbandonedRun } = {
        command: 'migrate',
        ok: !abandoned && summary.failed === 0 && summary.blocked === 0 && summary.notRun === 0,
        startedAt: startedAt.toISOString(),
        durationMs: Date.now() - startedAt.getTime(),
        summary,
        results,
        queue: { run: runId, queue: queue.name, schema: queue.location.schema },
        ...(abandoned ? { abandoned } : {}),
      };
      if (options.journalDir) {
        const journal = new JournalWriter(options.journalDir, runtime.config.app, 'migrate', []);
        if (journal.finish(report)) report.journal = journal.path;
      }
      return report;
    } finally {
      await queue.close();
    }
  });
}
