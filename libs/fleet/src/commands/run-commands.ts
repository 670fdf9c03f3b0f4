import { ConfigError } from '../errors';
import type { TargetCommand } from '../executor/execute-plan';
import type { RunReport } from '../executor/result';
import { runFleet } from '../executor/run-fleet';
import { BASE } from '../planner/planner';
import type { Target } from '../targets/target';
import { CommonOptions, FleetRuntime, withRuntime } from './runtime';

export interface RunOptions extends CommonOptions {
  /** Stop starting new targets after the first failure (default false: attempt every target). */
  failFast?: boolean;
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

/** Applies pending migrations on every target of the app. */
export function migrate(options: MigrateOptions): Promise<RunReport> {
  return withRuntime(options, { createDatabases: true }, (runtime) =>
    execute(runtime, 'migrate', targetsWith(runtime, options.to, '--to'), { kind: 'migrate', to: options.to, allowOutOfOrder: options.allowOutOfOrder }, options),
  );
}

/** Runs `down` of the newest applied migrations. */
export function revert(options: RevertOptions): Promise<RunReport> {
  if (options.steps !== undefined && (!Number.isInteger(options.steps) || options.steps < 1)) {
    throw new ConfigError(`--steps must be a whole number >= 1, got ${options.steps}`);
  }
  if (options.steps !== undefined && options.to !== undefined) throw new ConfigError('Pass either --steps or --to to revert, not both.');
  return withRuntime(options, { createDatabases: false }, (runtime) =>
    execute(runtime, 'revert', targetsWith(runtime, options.to, '--to'), { kind: 'revert', steps: options.steps, to: options.to }, options),
  );
}

/** Rewrites the version table to "applied up to --to" without running migrations. */
export function stamp(options: StampOptions): Promise<RunReport> {
  if (!options.to) throw new ConfigError('stamp needs --to <migration> (or --to base). It records migrations as applied WITHOUT running them.');
  return withRuntime(options, { createDatabases: true }, (runtime) =>
    execute(runtime, 'stamp', targetsWith(runtime, options.to, '--to'), { kind: 'stamp', to: options.to }, options),
  );
}

function execute(runtime: FleetRuntime, name: string, targets: Target[], command: TargetCommand, options: RunOptions): Promise<RunReport> {
  return runFleet(name, targets, command, {
    concurrency: runtime.concurrency,
    failFast: options.failFast,
    connections: runtime.connections,
    emit: runtime.emit,
  });
}

/**
 * With `--to <name>`, only the targets whose migrations include that name take part (an app's
 * databases have different migrations); a name no target knows is an error.
 */
function targetsWith(runtime: FleetRuntime, migration: string | undefined, option: string): Target[] {
  if (migration === undefined || migration === BASE) return runtime.targets;
  const matching = runtime.targets.filter((t) => t.migrations.some((m) => m.name === migration));
  if (matching.length === 0) {
    throw new ConfigError(`${option} ${migration}: no database of app ${runtime.config.app} has a migration with that name. Run \`fleet history\` to see the names.`, {
      migration,
    });
  }
  return matching;
}
