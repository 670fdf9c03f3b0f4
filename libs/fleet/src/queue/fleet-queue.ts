/**
 * The job queue behind `migrate --queue` and `fleet worker`: pg-boss on a PostgreSQL database of
 * the app (its tables in their own schema, `fleet_queue` by default). Why pg-boss: a job whose
 * worker dies stops sending heartbeats and is retried by another worker after a bounded delay
 * (graphile-worker frees a dead worker's jobs only after 4 hours), jobs carry their output (the
 * target's result), and retries, delays and schemas are options. The budget across workers is
 * Fleet's own (server-slots.ts).
 *
 * One queue per app (`fleet.<app>`), one job per target; the coordinator submits a run's targets
 * and waits for their results; workers take jobs, run each target with the same engine as a local
 * run, and return its result.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ConnectionSpec } from '../db/connection-spec';
import { FleetError } from '../errors';
import type { TargetResult } from '../executor/result';
import { ServerSlots } from './server-slots';
import { createIfMissing, QUEUE_APPLICATION_NAME, queuePool, SqlClient } from './sql-client';
import type { TargetJob } from './target-job';

/** A job is retried this often after its worker failed or vanished. */
const RETRY_LIMIT = 3;
/** A worker that sent no heartbeat for this long is taken for dead (pg-boss's minimum is 10 s). */
export const JOB_HEARTBEAT_SECONDS = 10;
/** groupConcurrency tiers: a job's tier is its server's budget (1..256). */
const BUDGET_TIERS = Object.fromEntries(Array.from({ length: 256 }, (_, i) => [String(i + 1), i + 1]));

// pg-boss is an ES module (Node >= 20.19 loads it with require) and an optional peer dependency.
type PgBossModule = typeof import('pg-boss');
type Boss = InstanceType<PgBossModule['PgBoss']>;

export interface QueueLocation {
  spec: ConnectionSpec;
  schema: string;
}

export interface JobState {
  id: string;
  target: string;
  state: string;
  retries: number;
  result?: TargetResult;
  error?: string;
}

export class QueueError extends FleetError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('QUEUE_FAILED', message, details, options);
  }
}

export class FleetQueue {
  private readonly waiting = new Map<string, { job: TargetJob; resolve: (r: { state: string; output: unknown }) => void }>();
  private toInsert: Array<{ id: string; data: TargetJob; group: { id: string; tier: string } }> = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private polling = false;
  readonly slots: ServerSlots;
  readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  private constructor(
    private readonly boss: Boss,
    private readonly sql: SqlClient,
    readonly location: QueueLocation,
    readonly name: string,
  ) {
    this.slots = new ServerSlots(sql, location.schema, this.holder);
  }

  static async open(location: QueueLocation, app: string): Promise<FleetQueue> {
    let mod: PgBossModule;
    try {
      mod = await import('pg-boss');
    } catch (cause) {
      throw new QueueError('Queue mode needs pg-boss: npm install pg-boss (an optional peer dependency of @fleet/core).', {}, { cause });
    }
    const { spec, schema } = location;
    const boss = new mod.PgBoss({
      host: spec.host,
      port: spec.port,
      user: spec.user,
      password: spec.password,
      database: spec.database,
      ssl: spec.ssl,
      schema,
      max: 3,
      application_name: QUEUE_APPLICATION_NAME,
      superviseIntervalSeconds: 2,
      monitorIntervalSeconds: 2,
      queueCacheIntervalSeconds: 1,
      schedule: false,
    } as never);
    // Maintenance and polling errors are retried by pg-boss itself; they are said, once each, on stderr.
    const said = new Set<string>();
    boss.on('error', (err: Error) => {
      if (said.has(err.message) || said.size > 20) return;
      said.add(err.message);
      process.stderr.write(`fleet queue: ${err.message}\n`);
    });
    try {
      await boss.start();
      const name = `fleet.${app}`;
      await boss.createQueue(name, { heartbeatSeconds: JOB_HEARTBEAT_SECONDS, retryLimit: RETRY_LIMIT, retryDelay: 1 }).catch((err: Error) => {
        if (!/exists/i.test(err.message)) throw err;
      });
      const sql = queuePool(spec);
      const queue = new FleetQueue(boss, sql, location, name);
      await queue.slots.install();
      await createIfMissing(
        sql,
        `CREATE TABLE IF NOT EXISTS "${schema}".fleet_runs (
         run_id text PRIMARY KEY, queue text NOT NULL, started_at timestamptz NOT NULL DEFAULT now(),
         heartbeat_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz)`,
      );
      return queue;
    } catch (cause) {
      await boss.stop({ graceful: false }).catch(() => undefined);
      if (cause instanceof FleetError) throw cause;
      throw new QueueError(`Cannot open the job queue in schema ${schema} of ${spec.database} on ${spec.host}:${spec.port}: ${(cause as Error).message}`, {}, { cause });
    }
  }

  /** Coordinator: queue one target and wait for its result (inserts are batched, results polled together). */
  submit(job: TargetJob): Promise<{ state: string; output: unknown }> {
    const id = randomUUID();
    return new Promise((resolve) => {
      this.waiting.set(id, { job, resolve });
      // The group is the server, its tier the server's budget: workers skip the jobs of a server whose
      // budget is taken (pg-boss counts them; the slots are what enforce it) and take another server's.
      this.toInsert.push({ id, data: job, group: { id: job.server, tier: String(job.budget) } });
      this.flushTimer ??= setTimeout(() => void this.flush(), 20);
      this.poller ??= setInterval(() => void this.poll(), 250);
    });
  }

  private async flush(): Promise<void> {
    this.flushTimer = undefined;
    // Round-robin over the servers, so that jobs of every server are near the head of the queue.
    const byServer = new Map<string, typeof this.toInsert>();
    for (const job of this.toInsert) {
      const lane = byServer.get(job.group.id);
      if (lane) lane.push(job);
      else byServer.set(job.group.id, [job]);
    }
    const lanes = [...byServer.values()];
    const batch: typeof this.toInsert = [];
    for (let i = 0; batch.length < this.toInsert.length; i++) for (const lane of lanes) if (lane[i]) batch.push(lane[i]);
    this.toInsert = [];
    for (let i = 0; i < batch.length; i += 1000) await this.boss.insert(this.name, batch.slice(i, i + 1000) as never);
  }

  private async poll(): Promise<void> {
    if (this.polling || this.waiting.size === 0) return;
    this.polling = true;
    try {
      const rows = await this.sql.query<{ id: string; state: string; output: unknown }>(
        `SELECT id, state::text AS state, output FROM "${this.location.schema}".job
          WHERE name = $1 AND id = ANY($2::uuid[]) AND state::text IN ('completed', 'failed', 'cancelled')`,
        [this.name, [...this.waiting.keys()]],
      );
      for (const row of rows) {
        const entry = this.waiting.get(row.id);
        if (!entry) continue;
        this.waiting.delete(row.id);
        entry.resolve({ state: row.state, output: row.output });
      }
    } catch {
      // the next poll tries again (a dropped connection is replaced)
    } finally {
      this.polling = false;
      if (this.waiting.size === 0 && this.poller) {
        clearInterval(this.poller);
        this.poller = undefined;
      }
    }
  }

  /** Coordinator interrupted: the run's queued jobs are cancelled (running ones finish). */
  async cancelRun(runId: string): Promise<number> {
    const rows = await this.sql.query<{ id: string }>(
      `UPDATE "${this.location.schema}".job SET state = 'cancelled', completed_on = now()
        WHERE name = $1 AND data->>'runId' = $2 AND state::text IN ('created', 'retry') RETURNING id`,
      [this.name, runId],
    );
    return rows.length;
  }

  /** Every job of a run, as the queue sees it (`fleet run status`). */
  async runJobs(runId: string): Promise<JobState[]> {
    const rows = await this.sql.query<{ id: string; target: string; state: string; retry_count: number; output: unknown }>(
      `SELECT id, data->>'target' AS target, state::text AS state, retry_count, output FROM "${this.location.schema}".job
        WHERE name = $1 AND data->>'runId' = $2 ORDER BY created_on, id`,
      [this.name, runId],
    );
    return rows.map((r) => ({
      id: r.id,
      target: r.target,
      state: r.state,
      retries: r.retry_count,
      ...(r.state === 'completed' ? { result: r.output as TargetResult } : {}),
      ...(r.state === 'failed' ? { error: describeOutput(r.output) } : {}),
    }));
  }

  /**
   * A coordinator says its run is alive (every few seconds) until it ends: workers started with
   * `--until-empty` do not leave between two phases of a live run (the tenants are queued after
   * the global tracks ran). A coordinator that died stops beating and counts as gone after 30 s.
   */
  async beatRun(runId: string, finished = false): Promise<void> {
    await this.sql.query(
      `INSERT INTO "${this.location.schema}".fleet_runs (run_id, queue, finished_at) VALUES ($1, $2, CASE WHEN $3::boolean THEN now() END)
       ON CONFLICT (run_id) DO UPDATE SET heartbeat_at = now(), finished_at = CASE WHEN $3::boolean THEN now() END`,
      [runId, this.name, finished],
    );
  }

  /** Runs of this queue whose coordinator is alive. */
  async liveRuns(): Promise<number> {
    const [row] = await this.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${this.location.schema}".fleet_runs WHERE queue = $1 AND finished_at IS NULL AND heartbeat_at > now() - interval '30 seconds'`,
      [this.name],
    );
    return row.n;
  }

  /** A run's jobs by state (`created`, `retry`, `active`, `completed`, `failed`, `cancelled`). */
  async runCounts(runId: string): Promise<Record<string, number>> {
    const rows = await this.sql.query<{ state: string; n: number }>(
      `SELECT state::text AS state, count(*)::int AS n FROM "${this.location.schema}".job WHERE name = $1 AND data->>'runId' = $2 GROUP BY 1`,
      [this.name, runId],
    );
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  /** The runs that still have jobs in this queue, newest first. */
  async runs(): Promise<Array<{ runId: string; total: number; open: number }>> {
    return this.sql.query(
      `SELECT data->>'runId' AS "runId", count(*)::int AS total, count(*) FILTER (WHERE state::text IN ('created', 'retry', 'active'))::int AS open
         FROM "${this.location.schema}".job WHERE name = $1 GROUP BY 1 ORDER BY max(created_on) DESC`,
      [this.name],
    );
  }

  /** Jobs not finished yet (queued, waiting for a retry, or running), all runs. */
  async openJobs(): Promise<number> {
    const [row] = await this.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${this.location.schema}".job WHERE name = $1 AND state::text IN ('created', 'retry', 'active')`,
      [this.name],
    );
    return row.n;
  }

  /**
   * Worker: take jobs, `concurrency` at a time, until `signal` fires. The handler's value is the
   * job's output; a handler that throws fails the attempt, and the job is retried elsewhere.
   */
  async work(concurrency: number, handler: (job: TargetJob, attempt: number) => Promise<TargetResult>, signal: AbortSignal): Promise<void> {
    // pg-boss's overloads do not narrow through `as never` options; the handler's shape is its documented one.
    const work = this.boss.work.bind(this.boss) as unknown as (
      name: string,
      options: unknown,
      handler: (jobs: Array<{ data: TargetJob; retryCount?: number }>) => Promise<unknown>,
    ) => Promise<string>;
    await work(
      this.name,
      {
        localConcurrency: concurrency,
        batchSize: 1,
        includeMetadata: true,
        pollingIntervalSeconds: 0.5,
        // While jobs are waiting, fetch the next one as soon as one is done (not after the polling interval).
        burstWhenReadyExceeds: 1,
        groupConcurrency: { default: 4, tiers: BUDGET_TIERS },
        heartbeatRefreshSeconds: 3,
      },
      async (jobs) => handler(jobs[0].data, (jobs[0].retryCount ?? 0) + 1),
    );
    if (signal.aborted) return;
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }

  async close(options: { graceful?: boolean } = {}): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      await this.flush().catch(() => undefined);
    }
    if (this.poller) clearInterval(this.poller);
    await this.boss.stop({ graceful: options.graceful ?? true, wait: true, timeout: 30_000 } as never).catch(() => undefined);
    await this.sql.close().catch(() => undefined);
  }
}

export function describeOutput(output: unknown): string {
  if (output && typeof output === 'object' && 'message' in output) return String((output as { message: unknown }).message);
  return output === null || output === undefined ? 'no output' : JSON.stringify(output);
}
