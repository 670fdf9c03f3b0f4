// Generated from @fleet/core's verb registry by src/sync-executors.ts: do not edit.
/** The options of every Fleet executor (each executor's schema.json accepts its own subset, nothing else). */
export interface FleetExecutorOptions {
  /** The app (its config is apps/<name>/fleet.config.ts; Nx: the project). */
  app?: string;
  /** A fleet.config.ts elsewhere, instead of the app convention. */
  config?: string;
  /** Only these databases of the app (config keys). */
  database?: string;
  /** Only these tenants (migrate still brings the global track to head first). */
  tenant?: string;
  /** Only these targets, by id (app1/users/acme): what hints print. */
  only?: string;
  /** Only the i-th of n deterministic slices of the targets (CI jobs or machines splitting a fleet). */
  slice?: string;
  /** Targets worked on at once (default 4). */
  concurrency?: number;
  /** Most open connections per server (default: half of the free ones, at most 10). */
  maxConnections?: number;
  /** How long to wait for another runner's lock on a target (default: config, 30000). */
  lockWait?: number;
  /** Print one JSON document instead of text (progress: JSON lines on stderr). */
  json?: boolean;
  /** Print every migration of every target, even for large fleets (the default up to 10 targets). */
  full?: boolean;
  /** Migrate up to and including this migration (default: head). */
  to?: string;
  /** Print the per-target plan and change nothing. */
  dryRun?: boolean;
  /** Stop starting targets after the first failure (default: attempt every target). */
  failFast?: boolean;
  /** Apply pending migrations older than applied ones. */
  allowOutOfOrder?: boolean;
  /** Re-create, empty, a registered tenant's schema or database that was migrated before and is gone. */
  createMissing?: boolean;
  /** Only the global tracks. */
  track?: 'global';
  /** Staged rollout: only this wave's tenants (after the global tracks). */
  wave?: string;
  /** Queue one job per target for `fleet worker` processes (anywhere, any number) and report as a local run does. */
  queue?: boolean;
  /** How many migrations to revert per target (default 1); refused over targets at different versions. */
  steps?: number;
  /** Go ahead without asking when several targets would change (needed off a terminal). */
  yes?: boolean;
  /** Exit 1 when anything is pending. */
  check?: boolean;
  /** Warn when the fleet index was last verified longer ago than this (default 24; fleet verify proves it). */
  indexMaxAge?: number;
  /** Also write a self-contained HTML view of the fleet to this file. */
  html?: string;
  /** With --html: draw a run journal (its failures) instead of live status. */
  journal?: string;
  /** Allow un-recording applied migrations (their down() does not run). */
  force?: boolean;
  /** Remove the "public". qualifiers TypeORM's generator writes from tenant-track files (nothing else). */
  fix?: boolean;
  /** Output: text (default), json (the same document as --json), sarif (SARIF 2.1.0 for GitHub code scanning). */
  format?: 'text' | 'json' | 'sarif';
  /** The tenant id. */
  id?: string;
  /** Registry columns to set (plan=pro); also what conditional migrations see. */
  attr?: string;
  /** Exit once the queue has no open job (a Kubernetes Job, a CI matrix); default: work until stopped. */
  untilEmpty?: boolean;
}
