/**
 * The runs of an app's queue (`fleet_runs`): who planned each (its migration manifest and the job
 * queue named after it), whether its coordinator is alive (a heartbeat every 2 s; silent for
 * RUN_STALE_SECONDS: abandoned), and which workers refused it and why (`fleet_run_refusals`).
 */
import type { MigrationManifest } from './manifest';
import { createIfMissing, SqlClient } from './sql-client';

/** The coordinator beats this often. */
export const RUN_BEAT_MS = 2_000;
/** A coordinator silent this long is taken for dead: its run is abandoned. */
export const RUN_STALE_SECONDS = 10;

export type RunState = 'running' | 'finished' | 'abandoned';

export interface RunRecord {
  runId: string;
  jobQueue: string | null;
  manifest: MigrationManifest | null;
  /** How many targets the run queues in all, once its coordinator knows (its last phase resolved). */
  planned: number | null;
  state: RunState;
  startedAt: string;
  heartbeatAt: string;
  finishedAt: string | null;
}

export interface Refusal {
  holder: string;
  reason: string;
  at: string;
}

export class RunRegistry {
  constructor(
    private readonly sql: SqlClient,
    private readonly schema: string,
    /** The app's queue (`fleet.<app>`): every run of the app, whatever its job queue. */
    private readonly queue: string,
  ) {}

  private get runs(): string {
    return `"${this.schema}".fleet_runs`;
  }

  async install(): Promise<void> {
    await createIfMissing(
      this.sql,
      `CREATE TABLE IF NOT EXISTS ${this.runs} (
         run_id text PRIMARY KEY, queue text NOT NULL, started_at timestamptz NOT NULL DEFAULT now(),
         heartbeat_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz)`,
    );
    // Queues made before runs carried their manifest get the columns (each statement is idempotent).
    await this.sql
      .query(`ALTER TABLE ${this.runs} ADD COLUMN IF NOT EXISTS job_queue text, ADD COLUMN IF NOT EXISTS manifest jsonb, ADD COLUMN IF NOT EXISTS planned integer`)
      .catch(() => undefined);
    await createIfMissing(
      this.sql,
      `CREATE TABLE IF NOT EXISTS "${this.schema}".fleet_run_refusals (
         run_id text NOT NULL, holder text NOT NULL, reason text NOT NULL, at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (run_id, holder))`,
    );
  }

  /** A coordinator's run begins: its manifest and the queue its jobs go to. */
  async start(runId: string, jobQueue: string, manifest: MigrationManifest): Promise<void> {
    await this.sql.query(`INSERT INTO ${this.runs} (run_id, queue, job_queue, manifest) VALUES ($1, $2, $3, $4)`, [runId, this.queue, jobQueue, JSON.stringify(manifest)]);
  }

  /** Every phase of the run is known: it queues `targets` jobs in all. */
  async plan(runId: string, targets: number): Promise<void> {
    await this.sql.query(`UPDATE ${this.runs} SET planned = $2 WHERE run_id = $1`, [runId, targets]);
  }

  /** The coordinator is alive (every RUN_BEAT_MS), or has finished (once, at its end). */
  async beat(runId: string, finished = false): Promise<void> {
    await this.sql.query(`UPDATE ${this.runs} SET heartbeat_at = now(), finished_at = CASE WHEN $2::boolean THEN now() END WHERE run_id = $1`, [runId, finished]);
  }

  private select(where: string): string {
    return `SELECT run_id AS "runId", job_queue AS "jobQueue", manifest, planned, started_at::text AS "startedAt", heartbeat_at::text AS "heartbeatAt", finished_at::text AS "finishedAt",
                   CASE WHEN finished_at IS NOT NULL THEN 'finished' WHEN heartbeat_at > now() - interval '${RUN_STALE_SECONDS} seconds' THEN 'running' ELSE 'abandoned' END AS state
              FROM ${this.runs} r WHERE queue = $1 AND ${where}`;
  }

  async get(runId: string): Promise<RunRecord | null> {
    const [row] = await this.sql.query<RunRecord>(this.select('run_id = $2'), [this.queue, runId]);
    return row ?? null;
  }

  /** The app's newest run (by start), whether or not it queued any job. */
  async newest(): Promise<RunRecord | null> {
    const [row] = await this.sql.query<RunRecord>(`${this.select('true')} ORDER BY started_at DESC, run_id DESC LIMIT 1`, [this.queue]);
    return row ?? null;
  }

  /** Runs a worker may have to serve: not finished, or with jobs not finished yet. */
  async open(): Promise<RunRecord[]> {
    return this.sql.query<RunRecord>(
      `${this.select(`job_queue IS NOT NULL AND (finished_at IS NULL OR EXISTS (
         SELECT 1 FROM "${this.schema}".job j WHERE j.name = r.job_queue AND j.state::text IN ('created', 'retry', 'active')))`)} ORDER BY started_at`,
      [this.queue],
    );
  }

  async refuse(runId: string, holder: string, reason: string): Promise<void> {
    await this.sql.query(`INSERT INTO "${this.schema}".fleet_run_refusals (run_id, holder, reason) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [runId, holder, reason]);
  }

  async refusals(runId: string): Promise<Refusal[]> {
    return this.sql.query<Refusal>(`SELECT holder, reason, at::text AS at FROM "${this.schema}".fleet_run_refusals WHERE run_id = $1 ORDER BY at`, [runId]);
  }
}
