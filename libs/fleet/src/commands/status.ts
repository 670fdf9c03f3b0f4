import { commandsFor } from '../config/nx-project';
import type { LoadedConfig } from '../config/load-config';
import { FindingReport, reportFinding, TargetResult } from '../executor/result';
import { AppliedRecord, currentVersion, targetState, TargetState } from '../planner/planner';
import type { Target } from '../targets/target';
import { assignWaves, Wave } from '../rollout/waves';
import type { TargetHistory } from './read-histories';
import { IndexStatus, readIndexedHistories } from './read-index';
import { spareTargets } from './spare-pool';
import { CommonOptions, FleetRuntime, withRuntime } from './runtime';

export interface TargetStatus {
  target: string;
  app: string;
  database: string;
  schema: string | null;
  tenant: string | null;
  /** `missing`: a registered tenant that was migrated before and whose schema or database is gone. */
  state: StatusState;
  /** Applied migrations in the order they were applied. */
  applied: string[];
  /** Conditional migrations recorded as not applying to this target. */
  skipped: string[];
  pending: string[];
  version: string | null;
  /** The newest migration of this target's track in the code. */
  head: string | null;
  findings: FindingReport[];
  note: string | null;
  error: Record<string, unknown> | null;
}

export type StatusState = TargetState | 'missing';

export interface StatusReport {
  command: 'status';
  app: string;
  ok: boolean;
  summary: Record<StatusState, number> & { targets: number };
  /** Pending targets by how many migrations they are behind: { "1": 40, "3": 2 }. */
  behind: Record<string, number>;
  /** Schemas or databases shaped like a tenant's that no registered tenant owns. */
  orphans: Array<{ database: string; name: string }>;
  /** What to do next, one sentence each ("3 tenants pending AddNickname: run `nx run app1:migrate`"). */
  next: string[];
  /** Statements sent to read the histories (bounded per database, not per tenant). */
  statements: number;
  /**
   * The fleet index status answered from (storage/fleet-index.ts): how many targets it answered,
   * which databases have none yet, when it was last verified, its warnings. Absent when status
   * read every version table (verify).
   */
  index?: IndexStatus;
  /** Staged rollout: each wave's tenants by state, in wave order (see rollout/waves.ts). */
  waves?: Array<{ name: string; tenants: number } & Record<StatusState, number>>;
  targets: TargetStatus[];
  /** The tenant pools' spares (`tenants.pool`), apart from the targets and the summary: no tenant lives in them. */
  spares?: SpareStatus[];
}

/** A spare of a tenant pool: a target of the tenant track, `ready` once it reached head (a take needs it at head). */
export type SpareStatus = TargetStatus & { kind: 'spare'; ready: boolean };

export interface StatusOptions extends CommonOptions {
  /** Warn when the fleet index was last verified longer ago than this (hours; default 24). */
  indexMaxAgeHours?: number;
}

/** How status reads the targets' histories: through the fleet index (default), or every version table. */
export type HistoryReader = (
  runtime: FleetRuntime,
  targets: readonly Target[],
  /** False when discovery left tenants out (a failed discovery, an invalid id): not every target of a database is listed. */
  complete: boolean,
) => Promise<{ histories: Map<string, TargetHistory>; statements: number; index?: IndexStatus }>;

/** Compares every target with the code (no lock, no writes), answering from the fleet index where it can. */
export function status(options: StatusOptions): Promise<StatusReport> {
  return withRuntime(options, { createDatabases: false }, (runtime) => fleetStatus(runtime, (r, targets) => readIndexedHistories(r, targets, options.indexMaxAgeHours)));
}

/** Histories read through the fleet index where it proves them, else from the version tables (read-index.ts). */
const fromIndex: HistoryReader = (r, targets) => readIndexedHistories(r, targets);

/** Status of every target of an open runtime: global tracks, shards and discovered tenants. */
export async function fleetStatus(runtime: FleetRuntime, read: HistoryReader = fromIndex): Promise<StatusReport> {
  const { tenants, targets, spares, histories, statements, index } = await readFleet(runtime, read);
  const same: SharedComparisons = new WeakMap();
  const out: TargetStatus[] = targets.map((t) => fleetTargetStatus(t, histories.get(t.id)!, same, tenants.missing));
  out.push(...tenants.results.map(failedStatus));
  const summary = { targets: out.length, 'at-head': 0, pending: 0, failed: 0, diverged: 0, missing: 0 };
  const behind: Record<string, number> = {};
  for (const t of out) {
    summary[t.state]++;
    if (t.state === 'pending') behind[t.pending.length] = (behind[t.pending.length] ?? 0) + 1;
  }
  return {
    command: 'status',
    app: runtime.config.app,
    ok: summary.failed === 0 && summary.diverged === 0 && summary.missing === 0,
    summary,
    behind,
    statements,
    ...(index ? { index } : {}),
    ...(runtime.config.rollout ? { waves: waveStatus(runtime.config.rollout.waves, tenants.targets, out) } : {}),
    targets: out,
    ...(spares.length ? { spares: spares.map((s) => ({ ...targetStatus(s.target, histories.get(s.target.id)!, same), kind: 'spare' as const, ready: s.ready })) } : {}),
    orphans: tenants.orphans,
    next: nextSteps(runtime.config, out, tenants.orphans.length),
  };
}

/**
 * What status and the run journal's snapshot read: every target (the global tracks, then the
 * discovered tenants), the tenant pools' spares, and the histories of both. The spares are read
 * with the targets (their index rows are proven with them) and reported apart.
 */
async function readFleet(runtime: FleetRuntime, read: HistoryReader) {
  const tenants = await runtime.tenantTargets();
  const targets = [...runtime.globalTargets(), ...tenants.targets];
  const spares = await spareTargets(runtime);
  const { histories, statements, index } = await read(runtime, [...targets, ...spares.map((s) => s.target)], tenants.results.length === 0);
  return { tenants, targets, spares, histories, statements, index };
}

/** One target in the run journal's snapshot of the fleet before a run. */
export interface SnapshotEntry {
  target: string;
  state: StatusState;
  version: string | null;
  /** How many migrations it is behind. */
  pending: number;
}

/**
 * The fleet before a run, as the run journal keeps it: the reads of fleetStatus, but no status
 * object is kept per target, and each target and its history are let go once counted (a status
 * report of 100,000 targets was ~14 MB more at the start of every migrate).
 */
export async function fleetSnapshot(runtime: FleetRuntime): Promise<SnapshotEntry[]> {
  const { tenants, targets, histories } = await readFleet(runtime, fromIndex);
  tenants.targets = [];
  const same: SharedComparisons = new WeakMap();
  const entries: SnapshotEntry[] = [];
  const add = (st: TargetStatus) => entries.push({ target: st.target, state: st.state, version: st.version, pending: st.pending.length });
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i];
    targets[i] = undefined as unknown as Target;
    add(fleetTargetStatus(t, histories.get(t.id)!, same, tenants.missing));
    histories.delete(t.id);
  }
  for (const r of tenants.results) add(failedStatus(r));
  return entries;
}

/** Comparisons shared by targets that share one history array (see targetStatus). */
export type SharedComparisons = WeakMap<AppliedRecord[], Comparison>;

/** A target's status in the fleet: `missing` when discovery found its tenant registered but its schema or database gone. */
export function fleetTargetStatus(t: Target, history: TargetHistory, same: SharedComparisons, missing: ReadonlySet<string>): TargetStatus {
  const st = targetStatus(t, history, same);
  if (!missing.has(t.id)) return st;
  return {
    ...st,
    state: 'missing' as const,
    note: `its ${t.info.schema === 'public' ? 'database' : 'schema'} is gone, though the tenant is registered and was migrated before (migrate --create-missing re-creates it empty)`,
  };
}

/** What status compares with the code, apart from who the target is. */
type Comparison = Pick<TargetStatus, 'state' | 'applied' | 'skipped' | 'pending' | 'version' | 'findings' | 'note' | 'error'>;

/**
 * A target's status: who it is, then its comparison. Named fields in one order, never spreads: a
 * spread gave each of 10,000 statuses a hidden class of its own (see executor/result.ts).
 */
function statusOf(target: Target, c: Comparison): TargetStatus {
  return {
    target: target.id,
    app: target.info.app,
    database: target.info.database,
    schema: target.info.schema,
    tenant: target.info.tenant,
    head: target.migrations.length ? target.migrations[target.migrations.length - 1].name : null,
    state: c.state,
    applied: c.applied,
    skipped: c.skipped,
    pending: c.pending,
    version: c.version,
    findings: c.findings,
    note: c.note,
    error: c.error,
  };
}

/**
 * One target's status. Targets that share one history array (the fleet index gives every target in
 * the same state the same one, see read-index.ts) share its comparison with the code too, when it
 * found nothing to report about that target (a finding names its target).
 */
export function targetStatus(target: Target, history: TargetHistory, same: SharedComparisons): TargetStatus {
  if (history.error) {
    return statusOf(target, { state: 'failed', applied: [], skipped: [], pending: [], version: null, findings: [], note: null, error: history.error });
  }
  const { records, note } = history;
  const known = note === null ? same.get(records) : undefined;
  if (known) return statusOf(target, known);
  const { state, pending, findings } = targetState(target.migrations, records);
  const st: Comparison = {
    state,
    applied: records.filter((r) => r.status === 'applied').map((r) => r.name),
    skipped: records.filter((r) => r.status === 'skipped').map((r) => r.name),
    pending,
    version: currentVersion(target.migrations, records),
    findings: findings.map((f) => reportFinding(f, target)),
    note,
    error: null,
  };
  if (note === null && findings.length === 0) same.set(records, st);
  return statusOf(target, st);
}

export function failedStatus(r: TargetResult): TargetStatus {
  return {
    target: r.target,
    app: r.app,
    database: r.database,
    schema: null,
    tenant: r.tenant,
    state: 'failed',
    applied: [],
    skipped: [],
    pending: [],
    version: null,
    head: null,
    findings: [],
    note: null,
    error: r.failed?.error ?? null,
  };
}

/** What an operator does next, as Prisma's status says it. */
function nextSteps(config: Pick<LoadedConfig, 'app' | 'file' | 'workspaceRoot'>, targets: readonly TargetStatus[], orphans: number): string[] {
  const out: string[] = [];
  // The commands as they run here: the Nx project's own name and target, or the CLI alone.
  const how = commandsFor('migrate', config.file, config.workspaceRoot, config.app);
  const migrate = how.nx ? `\`${how.nx}\` (or \`${how.cli}\`)` : `\`${how.cli}\``;
  const pending = targets.filter((t) => t.state === 'pending');
  if (pending.length) {
    const names = [...new Set(pending.flatMap((t) => t.pending))];
    const who = pending.length === 1 ? pending[0].target : `${pending.length} targets`;
    out.push(`${who} pending ${names.slice(0, 3).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''}: run ${migrate}`);
  }
  const diverged = targets.filter((t) => t.state === 'diverged').length;
  if (diverged) out.push(`${diverged} target(s) diverged from the code: see each one's finding above (it says which command fixes that target alone)`);
  const failed = targets.filter((t) => t.state === 'failed').length;
  if (failed) out.push(`${failed} target(s) failed or were interrupted: see each one's error above`);
  const missing = targets.filter((t) => t.state === 'missing').length;
  if (missing) out.push(`${missing} registered tenant(s) missing their schema or database: restore them, unregister them, or migrate with --create-missing`);
  if (orphans) out.push(`${orphans} orphan schema(s) or database(s): drop them or register their tenants`);
  return out;
}

/** How far each wave of the rollout is: its tenants by state. */
function waveStatus(waves: Wave[], tenants: Target[], statuses: TargetStatus[]): NonNullable<StatusReport['waves']> {
  const byId = new Map(statuses.map((st) => [st.target, st.state]));
  const split = assignWaves(
    tenants.map((t) => ({ id: t.info.tenant ?? t.id, attributes: t.info.attributes, target: t })),
    waves,
  );
  return split.waves.map(({ wave, members }) => {
    const counts = { 'at-head': 0, pending: 0, failed: 0, diverged: 0, missing: 0 };
    for (const m of members) counts[byId.get(m.target.id) ?? 'pending']++;
    return { name: wave.name, tenants: members.length, ...counts };
  });
}
