/**
 * The job queue behind `migrate --queue` and `fleet worker`: pg-boss on a PostgreSQL database of
 * the app (its tables in their own schema, `fleet_queue` by default). Why pg-boss: a job whose
 * worker dies stops sending heartbeats and is retried by another worker after a bounded delay
 * (graphile-worker frees a dead worker's jobs only after 4 hours), jobs carry their output (the
 * target's result), and retries, delays and schemas are options. The budget across workers is
 * Fleet's own (server-slots.ts).
 *
 * One job per target, in a queue per migration set (`fleet.<app>.<fingerprint>`, see manifest.ts):
 * the coordinator submits a run's targets there and waits for their results; a worker takes jobs
 * only from the queues of runs planned with its own migrations, runs each target with the same
 * engine as a local run, and returns its result. `fleet.<app>` names the app's runs and slots.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ConnectionSpec } from '../db/connection-spec';
import { FleetError } from '../errors';
import type { TargetResult } from '../executor/result';
import { RunRegistry } from './run-registry';
import { ServerSlots } from './server-slots';
import { QUEUE_APPLICATION_NAME, queuePool, SqlClient } from './sql-client';
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
  readonly runs: RunRegistry;
  /** Where this coordinator's jobs go (see useJobQueue). */
  private jobQueue = '';
  readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  private constructor(
    private readonly boss: Boss,
    private readonly sql: SqlClient,
    readonly location: QueueLocation,
    readonly name: string,
  ) {
    this.slots = new ServerSlots(sql, location.schema, this.holder);
    this.runs = new RunRegistry(sql, location.schema, name);
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
      const sql = queuePool(spec);
      const queue = new FleetQueue(boss, sql, location, `fleet.${app}`);
      await queue.slots.install();
      await queue.runs.install();
      return queue;
    } catch (cause) {
      await boss.stop({ graceful: false }).catch(() => undefined);
      if (cause instanceof FleetError) throw cause;
      throw new QueueError(`Cannot open the job queue in schema ${schema} of ${spec.database} on ${spec.host}:${spec.port}: ${(cause as Error).message}`, {}, { cause });
    }
  }

  /** Coordinator: this run's jobs go to `name` (the queue of its migration set), made if missing. */
  async useJobQueue(name: string): Promise<void> {
    await this.boss.createQueue(name, { heartbeatSeconds: JOB_HEARTBEAT_SECONDS, retryLimit: RETRY_LIMIT, retryDelay: 1 } as never).catch((err: Error) => {
      if (!/exists/i.test(err.message)) throw err;
    });
    this.jobQueue = name;
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
    for (let i = 0; i < batch.length; i += 1000) await this.boss.insert(this.jobQueue, batch.slice(i, i + 1000) as never);
  }

  private async poll(): Promise<void> {
    if (this.polling || this.waiting.size === 0) return;
    this.polling = true;
    try {
      const rows = await this.sql.query<{ id: string; state: string; output: unknown }>(
        `SELECT id, state::text AS state, output FROM "${this.location.schema}".job
          WHERE name = $1 AND id = ANY($2::uuid[]) AND state::text IN ('completed', 'failed', 'cancelled')`,
        [this.jobQueue, [...this.waiting.keys()]],
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
        WHERE starts_with(name, $1 || '.') AND data->>'runId' = $2 AND state::text IN ('created', 'retry') RETURNING id`,
      [this.name, runId],
    );
    return rows.length;
  }

  /** Every job of a run, as the queue sees it (`fleet run status`). */
  async runJobs(runId: string): Promise<JobState[]> {
    const rows = await this.sql.query<{ id: string; target: string; state: string; retry_count: number; output: unknown }>(
      `SELECT id, data->>'target' AS target, state::text AS state, retry_count, output FROM "${this.location.schema}".job
        WHERE starts_with(name, $1 || '.') AND data->>'runId' = $2 ORDER BY created_on, id`,
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

  /** A run's jobs by state (`created`, `retry`, `active`, `completed`, `failed`, `cancelled`). */
  async runCounts(runId: string): Promise<Record<string, number>> {
    const rows = await this.sql.query<{ state: string; n: number }>(
      `SELECT state::text AS state, count(*)::int AS n FROM "${this.location.schema}".job WHERE starts_with(name, $1 || '.') AND data->>'runId' = $2 GROUP BY 1`,
      [this.name, runId],
    );
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  /** Jobs not finished yet (queued, waiting for a retry, or running) in these job queues. */
  async openJobs(queues: string[]): Promise<number> {
    const [row] = await this.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${this.location.schema}".job WHERE name = ANY($1::text[]) AND state::text IN ('created', 'retry', 'active')`,
      [queues],
    );
    return row.n;
  }

  /**
   * Worker: take the jobs of one job queue, `concurrency` at a time, until the queue closes. The
   * handler's value is the job's output; a handler that throws fails the attempt, and the job is
   * retried elsewhere.
   */
  async work(jobQueue: string, concurrency: number, handler: (job: TargetJob, attempt: number) => Promise<TargetResult>): Promise<void> {
    // pg-boss's overloads do not narrow through `as never` options; the handler's shape is its documented one.
    const work = this.boss.work.bind(this.boss) as unknown as (
      name: string,
      options: unknown,
      handler: (jobs: Array<{ data: TargetJob; retryCount?: number }>) => Promise<unknown>,
    ) => Promise<string>;
    await work(
      jobQueue,
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
