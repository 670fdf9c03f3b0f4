/**
 * Which targets a run touches, decided once for executing, planning (--dry-run) and confirming.
 */
import { ConfigError } from '../errors';
import type { TargetCommand } from '../executor/execute-plan';
import type { FleetPhase } from '../executor/run-fleet';
import { BASE } from '../planner/planner';
import type { Target } from '../targets/target';
import { CommonOptions, FleetRuntime, inSlice } from './runtime';

export interface TargetSelection {
  /** The global (or shard) targets of the run. */
  base: Target[];
  /** The tenant targets, discovered once the base phase is done (`previous`: its results). */
  tenants: FleetPhase;
}

export function selectTargets(runtime: FleetRuntime, command: TargetCommand, options: CommonOptions, mode: { createDatabases: boolean }): TargetSelection {
  const to = 'to' in command ? command.to : undefined;
  const matches = targetFilter(runtime, to);
  const selection = trackSelection(runtime, command, options);
  return {
    base: runtime.globalTargets().filter((t) => matches(t) && selection.base(t)),
    tenants: async (previous) => {
      if (!selection.tenants) return { targets: [], results: [] };
      const resolved = await runtime.tenantTargets(previous, mode);
      return { targets: resolved.targets.filter(matches), results: resolved.results };
    },
  };
}

/**
 * Which tracks a command touches. `migrate` brings every global track to head before the tenants
 * (also with --tenant). `revert` and `stamp` are destructive: on a database with a tenant track
 * they act on the tenant track only, unless the global track is named (`--track global`, or its
 * id in --only); with --tenant only on those tenants; and with --slice i/n a global target
 * belongs to exactly one share, so n jobs never revert it n times.
 */
function trackSelection(runtime: FleetRuntime, command: TargetCommand, options: CommonOptions): { base: (t: Target) => boolean; tenants: boolean } {
  const named = new Set(options.targets ?? []);
  if (command.kind === 'migrate') return { base: () => true, tenants: options.track !== 'global' };
  const twoTracks = new Set(runtime.databases.filter((d) => d.db.tenants).map((d) => d.db.key));
  const defaulted = runtime.databases.filter((d) => d.db.tenants && options.track === undefined && !options.tenants && !d.globalTargets.some((t) => named.has(t.id)));
  for (const d of defaulted) {
    runtime.emit({
      type: 'notice',
      message: `${command.kind}: ${runtime.config.app}/${d.db.key} has a global and a tenant track: acting on the tenant track only (pass --track global for the global one).`,
    });
  }
  return {
    base: (t) => {
      if (named.has(t.id)) return true;
      if (options.tenants || options.track === 'tenant' || options.targets) return false;
      if (twoTracks.has(t.info.database) && options.track !== 'global') return false;
      return inSlice(t.id, options.slice);
    },
    tenants: options.track !== 'global',
  };
}

/**
 * With `--to <name>`, only the targets whose migrations include that name take part (each
 * database and track has its own migrations); a name no track knows is an error.
 */
function targetFilter(runtime: FleetRuntime, migration: string | undefined): (t: Target) => boolean {
  if (migration === undefined || migration === BASE) return () => true;
  const known = runtime.databases.some(
    (d) => d.globalTargets.some((t) => t.migrations.some((m) => m.name === migration)) || (d.tenantMigrations ?? []).some((m) => m.name === migration),
  );
  if (!known) {
    throw new ConfigError(`--to ${migration}: no database of app ${runtime.config.app} has a migration with that name. Run \`fleet history\` to see the names.`, {
      migration,
    });
  }
  return (t) => t.migrations.some((m) => m.name === migration);
}
