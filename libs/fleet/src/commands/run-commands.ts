import { ConfigError } from '../errors';
import type { TargetCommand } from '../executor/execute-plan';
import type { RunReport } from '../executor/result';
import { FleetPhase, runFleet } from '../executor/run-fleet';
import { JournalWriter } from '../journal/run-journal';
import { prepareMigrate, prepareMigrateChecks } from './lint';
import { describeRisky, riskyInPlan, riskySqlGate } from './risky-gate';
import { mixedVersions, planRun, RunPlan, skipSettled } from './plan-run';
import { fleetSnapshot } from './status';
import { readTargetHistories } from './read-histories';
import { currentVersion } from '../planner/planner';
import { CommonOptions, FleetRuntime, withRuntime } from './runtime';
import { selectTargets } from './select-targets';
import { rolloutPhases } from './rollout';
import { openQueuedRun } from '../queue/coordinator';
import { assertQueueNode } from '../queue/node-version';
import { healthGateOptions } from '../executor/health-gate';
import { keepPools, pooledDatabases, PoolReport } from './spare-pool';

export interface RunOptions extends CommonOptions {
  /** Stop starting new targets after the first failure (default false: attempt every target). */
  failFast?: boolean;
  /**
   * Write a run journal (snapshot before, results after) into this folder; the CLI and Nx
   * executors use `<workspace>/.fleet/runs`. Default: no journal.
   */
  journalDir?: string;
}

export interface MigrateOptions extends RunOptions {
  /** Migrate up to and including this migration (default: head). */
  to?: string;
  /** Apply pending migrations older than applied ones (default: the database's config, false). */
  allowOutOfOrder?: boolean;
  /**
   * Queue mode: plan here, queue one job per target, and let `fleet worker` processes (anywhere,
   * any number) run them; this process reports and journals as a local run does.
   */
  queue?: boolean;
  /** Staged rollout: run only this wave's tenants (after the global tracks). */
  wave?: string;
}

export interface RevertOptions extends RunOptions {
  /** Revert this many migrations per target, newest first (default 1). */
  steps?: number;
  /** Revert everything applied after this migration (`base`: everything). */
  to?: string;
}

export interface StampOptions extends RunOptions {
  /** Record the history as "applied up to here" (`base`: nothing applied), running nothing. */
  to: string;
  /** Allow un-recording applied migrations (default false: a target where stamp would forget an applied migration is blocked). */
  force?: boolean;
}

/** Applies pending migrations: every database's global track (or shards), then every tenant. */
export async function migrate(options: MigrateOptions): Promise<RunReport> {
  if (options.queue) assertQueueNode('migrate --queue', options.env);
  // A queue coordinator's own sessions (discovery, the journal's snapshot) are told apart from the workers'.
  const named = options.queue && !options.applicationName ? { ...options, applicationName: 'fleet:{app}:coordinator' } : options;
  return withRuntime(named, { createDatabases: true }, async (runtime) => {
    const report = await execute(runtime, 'migrate', { kind: 'migrate', to: options.to, allowOutOfOrder: options.allowOutOfOrder }, options, {
      createDatabases: true,
      queue: options.queue,
      wave: options.wave,
    });
    return withPools(runtime, report, options);
  });
}

/**
 * A whole-fleet migrate to head also keeps each tenant pool (commands/spare-pool.ts): its spares
 * to head, failed ones replaced, refilled. A partial run (--tenant, --only, --slice, --wave, --to)
 * or an interrupted one leaves the pool alone, as does a database whose global track failed.
 */
async function withPools(runtime: FleetRuntime, report: RunReport, options: MigrateOptions): Promise<RunReport & { pools?: PoolReport[] }> {
  const partial = options.tenants?.length || options.targets?.length || options.slice || options.wave !== undefined || options.to !== undefined;
  if (partial || report.interrupted || pooledDatabases(runtime).length === 0) return report;
  const failedGlobal = new Set(report.results.filter((r) => r.tenant === null && r.outcome !== 'changed' && r.outcome !== 'unchanged').map((r) => r.database));
  try {
    const refuseByTrack = await prepareMigrate(runtime);
    const pools = await keepPools(runtime, { kind: 'migrate', ensureHistory: true, refuseByTrack }, (d) => !failedGlobal.has(d.db.key));
    return { ...report, pools };
  } catch (err) {
    runtime.emit({ type: 'notice', message: `warning: could not keep the tenant pool (${(err as Error).message}); the next migrate tries again` });
    return report;
  }
}

/**
 * Runs `down` of the newest applied migrations: tenants first, then the global tracks (only when
 * named: see select-targets.ts). `--steps` over targets at different versions is refused: it
 * would leave them at different places; `--to` says where.
 */
export function revert(options: RevertOptions): Promise<RunReport> {
  const command = revertCommand(options);
  return withRuntime(options, { createDatabases: false }, async (runtime) => {
    if (options.to === undefined) assertSameVersions(await planRun(runtime, 'revert', command, options), options.steps ?? 1);
    return execute(runtime, 'revert', command, options, { createDatabases: false });
  });
}

function revertCommand(options: RevertOptions): TargetCommand {
  if (options.steps !== undefined && (!Number.isInteger(options.steps) || options.steps < 1)) {
    throw new ConfigError(`--steps must be a whole number >= 1, got ${options.steps}`);
  }
  if (options.steps !== undefined && options.to !== undefined) throw new ConfigError('Pass either --steps or --to to revert, not both.');
  return { kind: 'revert', steps: options.steps, to: options.to };
}

function assertSameVersions(plan: RunPlan, steps: number): void {
  const mixed = mixedVersions(plan);
  if (mixed.length === 0) return;
  const describe = (m: (typeof mixed)[number]) => `${m.database} ${m.track} track: ${[...m.versions].map(([v, n]) => `${n} at ${v ?? '(nothing applied)'}`).join(', ')}`;
  throw new ConfigError(
    `revert --steps ${steps} over targets at different versions would leave them at different places (${mixed.map(describe).join('; ')}). ` +
      'Say where they should end: revert --to <migration> (run with --dry-run to see the plan).',
    { versions: mixed.map((m) => ({ database: m.database, track: m.track, versions: Object.fromEntries(m.versions) })) },
  );
}

/** `--dry-run`: the per-target plan of migrate, revert or stamp; nothing is changed (a scratch database may be used by the tenant lint). */
export function dryRun(kind: 'migrate' | 'revert' | 'stamp', options: MigrateOptions & RevertOptions & Partial<StampOptions>): Promise<RunPlan> {
  let command: TargetCommand;
  if (kind === 'revert') command = revertCommand(options);
  else if (kind === 'stamp') {
    if (!options.to) throw new ConfigError('stamp needs --to <migration> (or --to base).');
    command = { kind: 'stamp', to: options.to, force: options.force };
  } else command = { kind: 'migrate', to: options.to, allowOutOfOrder: options.allowOutOfOrder };
  return withRuntime(options, { createDatabases: false }, async (runtime) => {
    if (command.kind !== 'migrate') return planRun(runtime, kind, command, options);
    const checks = await prepareMigrateChecks(runtime);
    const plan = await planRun(runtime, kind, { ...command, refuseByTrack: checks.refuseByTrack }, options);
    return { ...plan, riskySql: riskyInPlan(plan, checks.tracks).map(describeRisky) };
  });
}

/** Rewrites the version table to "applied up to --to" without running migrations. */
export function stamp(options: StampOptions): Promise<RunReport> {
  if (!options.to) throw new ConfigError('stamp needs --to <migration> (or --to base). It records migrations as applied WITHOUT running them.');
  return withRuntime(options, { createDatabases: true }, (runtime) =>
    execute(runtime, 'stamp', { kind: 'stamp', to: options.to, force: options.force }, options, { createDatabases: true }),
  );
}

async function execute(
  runtime: FleetRuntime,
  name: string,
  command: TargetCommand,
  options: RunOptions,
  mode: { createDatabases: boolean; queue?: boolean; wave?: string },
): Promise<RunReport> {
  const { base, tenants } = selectTargets(runtime, command, options, mode);
  // A staged rollout runs the tenants wave by wave (migrate only: a revert goes back everywhere at once).
  const rollout = command.kind === 'migrate' && (runtime.config.rollout || mode.wave !== undefined) ? rolloutPhases(runtime, tenants, mode.wave) : undefined;
  // Before any target: the tenant lint (migrations no tenant may run are refused per target), the
  // extensions, and the risky-SQL rules (a pending migration with an error stops the run here).
  if (command.kind === 'migrate') {
    const checks = await prepareMigrateChecks(runtime);
    command = { ...command, refuseByTrack: checks.refuseByTrack };
    await riskySqlGate(runtime, command, options, checks.tracks);
  }
  // A local migrate settles the tenants with nothing to do from one bulk read (see skipSettled).
  const tenantPhase = command.kind === 'migrate' && !mode.queue ? skipSettled(runtime, tenants, command) : tenants;
  const phases: FleetPhase[] = command.kind === 'revert' ? [tenants, base] : [base, ...(rollout ? rollout.phases : [tenantPhase])];
  const journal = options.journalDir ? await openJournal(runtime, options.journalDir, name) : undefined;
  const queued = mode.queue ? await openQueuedRun(runtime, command) : undefined;
  let report: RunReport;
  try {
    report = await runFleet(name, queued ? queued.track(phases) : phases, command, {
      // Queued: every target goes to the queue at once; the workers' slots bound the work.
      concurrency: queued ? Number.MAX_SAFE_INTEGER : runtime.concurrency,
      failFast: options.failFast,
      connections: runtime.connections,
      emit: runtime.emit,
      signal: runtime.signal,
      watchdog: runtime.watchdog,
      health: healthGateOptions(runtime.config.health, runtime.settings.applicationName),
      runTarget: queued?.runTarget,
      queued: !!queued,
    });
  } finally {
    await queued?.close();
  }
  await versionsOfTargetsNotRun(runtime, report, journal);
  if (queued) report.queue = { run: queued.runId, queue: queued.queue.name, schema: queued.queue.location.schema };
  if (rollout) report.waves = rollout.report(report.results);
  if (command.kind === 'migrate') {
    await runtime
      .recordTenants(report.results)
      .catch((err) => runtime.emit({ type: 'notice', message: `warning: could not update the tenant ledger (${(err as Error).message})` }));
  }
  if (journal) {
    if (journal.finish(report, report.interrupted ? 'interrupted' : 'finished')) report.journal = journal.path;
    else runtime.emit({ type: 'notice', message: `warning: ${journal.problem}` });
  }
  return report;
}

/**
 * The run journal, opened with the fleet's status before the run. The status report itself (one
 * object per target) is freed before the first target; the journal reads its snapshot back from
 * disk when it needs it (versionsOfTargetsNotRun, the journal's last write).
 */
async function openJournal(runtime: FleetRuntime, dir: string, name: string): Promise<JournalWriter> {
  const journal = new JournalWriter(dir, runtime.config.app, name, await fleetSnapshot(runtime));
  runtime.emit({ type: 'notice', message: journal.problem ? `warning: ${journal.problem}` : `Run journal: ${journal.path}` });
  return journal;
}

/**
 * A target the run did not attempt (--fail-fast, a failed global track, an interruption) is
 * reported at its real version, not "(none)": the one the snapshot before the run read (the
 * journal's), or, without one, read now (nothing of this run touched it). An interrupted run
 * without a snapshot does not wait for that read.
 */
async function versionsOfTargetsNotRun(runtime: FleetRuntime, report: RunReport, journal: JournalWriter | undefined): Promise<void> {
  const unknown = report.results.filter((r) => r.outcome === 'not-run' && r.versionBefore === null && r.applied.length === 0);
  if (unknown.length === 0) return;
  let before: Map<string, string | null> | undefined;
  try {
    before = journal?.versionsBefore();
  } catch {
    before = undefined; // the journal cannot be read back: as without one
  }
  if (!before && report.interrupted) return;
  const versions = before ?? new Map<string, string | null>();
  if (!before) {
    const ids = new Set(unknown.map((r) => r.target));
    const tenants = unknown.some((r) => r.tenant !== null) ? (await runtime.tenantTargets()).targets : [];
    const targets = [...runtime.globalTargets(), ...tenants].filter((t) => ids.has(t.id));
    const { histories } = await readTargetHistories(runtime, targets);
    for (const t of targets) {
      const history = histories.get(t.id);
      if (history && !history.error) versions.set(t.id, currentVersion(t.migrations, history.records));
    }
  }
  for (const r of unknown) {
    if (!versions.has(r.target)) continue;
    r.versionBefore = versions.get(r.target)!;
    r.versionAfter = r.versionBefore;
  }
}
