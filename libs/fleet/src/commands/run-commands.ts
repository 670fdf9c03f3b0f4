import { ConfigError } from '../errors';
import type { TargetCommand } from '../executor/execute-plan';
import type { RunReport } from '../executor/result';
import { FleetPhase, runFleet } from '../executor/run-fleet';
import { JournalWriter } from '../journal/run-journal';
import { prepareMigrate } from './lint';
import { fleetStatus } from './status';
import { BASE } from '../planner/planner';
import type { Target } from '../targets/target';
import { CommonOptions, FleetRuntime, withRuntime } from './runtime';

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
}

/** Applies pending migrations: every database's global track (or shards), then every tenant. */
export function migrate(options: MigrateOptions): Promise<RunReport> {
  return withRuntime(options, { createDatabases: true }, (runtime) =>
    execute(runtime, 'migrate', { kind: 'migrate', to: options.to, allowOutOfOrder: options.allowOutOfOrder }, options, { createDatabases: true }),
  );
}

/** Runs `down` of the newest applied migrations: tenants first, then the global tracks. */
export function revert(options: RevertOptions): Promise<RunReport> {
  if (options.steps !== undefined && (!Number.isInteger(options.steps) || options.steps < 1)) {
    throw new ConfigError(`--steps must be a whole number >= 1, got ${options.steps}`);
  }
  if (options.steps !== undefined && options.to !== undefined) throw new ConfigError('Pass either --steps or --to to revert, not both.');
  return withRuntime(options, { createDatabases: false }, (runtime) =>
    execute(runtime, 'revert', { kind: 'revert', steps: options.steps, to: options.to }, options, { createDatabases: false }),
  );
}

/** Rewrites the version table to "applied up to --to" without running migrations. */
export function stamp(options: StampOptions): Promise<RunReport> {
  if (!options.to) throw new ConfigError('stamp needs --to <migration> (or --to base). It records migrations as applied WITHOUT running them.');
  return withRuntime(options, { createDatabases: true }, (runtime) =>
    execute(runtime, 'stamp', { kind: 'stamp', to: options.to }, options, { createDatabases: true }),
  );
}

async function execute(runtime: FleetRuntime, name: string, command: TargetCommand, options: RunOptions, mode: { createDatabases: boolean }): Promise<RunReport> {
  const to = 'to' in command ? command.to : undefined;
  const matches = targetFilter(runtime, to);
  // With --tenant, revert and stamp touch only those tenants; migrate still brings the global track to head first.
  const base: FleetPhase = options.tenants && command.kind !== 'migrate' ? [] : runtime.baseTargets().filter(matches);
  const tenants: FleetPhase = async (previous) => {
    const resolved = await runtime.tenantTargets(previous, mode);
    return { targets: resolved.targets.filter(matches), results: resolved.results };
  };
  // Before any target: the tenant lint (migrations no tenant may run are refused per target) and the extensions.
  if (command.kind === 'migrate') command = { ...command, refuseByTrack: await prepareMigrate(runtime) };
  const journal = options.journalDir ? new JournalWriter(options.journalDir, runtime.config.app, name, await fleetStatus(runtime)) : undefined;
  if (journal) runtime.emit({ type: 'notice', message: `Run journal: ${journal.path}` });
  const report = await runFleet(name, command.kind === 'revert' ? [tenants, base] : [base, tenants], command, {
    concurrency: runtime.concurrency,
    failFast: options.failFast,
    connections: runtime.connections,
    emit: runtime.emit,
  });
  if (journal) {
    journal.finish(report);
    report.journal = journal.path;
  }
  return report;
}

/**
 * With `--to <name>`, only the targets whose migrations include that name take part (each
 * database and track has its own migrations); a name no track knows is an error.
 */
function targetFilter(runtime: FleetRuntime, migration: string | undefined): (t: Target) => boolean {
  if (migration === undefined || migration === BASE) return () => true;
  const known = runtime.databases.some(
    (d) => d.baseTargets.some((t) => t.migrations.some((m) => m.name === migration)) || (d.tenantMigrations ?? []).some((m) => m.name === migration),
  );
  if (!known) {
    throw new ConfigError(`--to ${migration}: no database of app ${runtime.config.app} has a migration with that name. Run \`fleet history\` to see the names.`, {
      migration,
    });
  }
  return (t) => t.migrations.some((m) => m.name === migration);
}
