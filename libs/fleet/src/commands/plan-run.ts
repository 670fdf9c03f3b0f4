/**
 * What a run would do, target by target, computed without changing anything: the histories are
 * read in bulk (as status does) and the pure planner is asked for each target. `--dry-run` prints
 * it; `revert`/`stamp` over several targets show it before asking for confirmation; `revert
 * --steps` uses it to refuse when targets stand at different versions.
 */
import { makePlan, TargetCommand } from '../executor/execute-plan';
import { settledResult, FindingReport, reportFinding, TargetResult } from '../executor/result';
import type { FleetPhase } from '../executor/run-fleet';
import { currentVersion } from '../planner/planner';
import type { Step } from '../planner/planner';
import type { Target } from '../targets/target';
import { forEachHistoryBatch, TargetHistory } from './read-histories';
import type { CommonOptions, FleetRuntime } from './runtime';
import { selectTargets } from './select-targets';

export interface PlannedTarget {
  target: string;
  database: string;
  tenant: string | null;
  track: 'global' | 'tenant';
  /** The target's version now. */
  version: string | null;
  steps: Step[];
  blocked: boolean;
  findings: FindingReport[];
}

/** Targets with the same plan, as one line of the report ("1498 tenants: revert AddNickname"). */
export interface PlanGroup {
  database: string;
  track: 'global' | 'tenant';
  count: number;
  /** The first few targets of the group. */
  examples: string[];
  version: string | null;
  /** What happens to each: "revert AddNickname", "nothing to do", "blocked: ...". */
  action: string;
}

export interface RunPlan {
  command: string;
  /** Targets that would change. */
  changing: number;
  targets: PlannedTarget[];
  groups: PlanGroup[];
  /** What could not become a target (unsafe ids, failed discovery): reported, never run. */
  problems: Array<{ target: string; message: string }>;
  /** migrate --dry-run: risky-SQL findings of the migrations this plan applies (an error stops the real run before any target). */
  riskySql?: Array<{ where: string; code: string; severity: string; message: string; statement: string }>;
}

export async function planRun(runtime: FleetRuntime, name: string, command: TargetCommand, options: CommonOptions): Promise<RunPlan> {
  const selection = selectTargets(runtime, command, options, { createDatabases: false });
  const resolved = typeof selection.tenants === 'function' ? await selection.tenants([]) : { targets: selection.tenants, results: [] };
  const targets: Target[] = [...selection.base, ...resolved.targets];
  const planned: PlannedTarget[] = [];
  // A batch's histories are dropped once planned: the plans are what the report keeps.
  await forEachHistoryBatch(runtime, targets, (batch, histories) => {
    for (const t of batch) planned.push(planTarget(t, histories.get(t.id)!, command));
  });
  return {
    command: name,
    changing: planned.filter((p) => p.steps.length > 0 && !p.blocked).length,
    targets: planned,
    groups: groupPlans(planned),
    problems: resolved.results.map((r) => ({ target: r.target, message: String(r.failed?.error.message ?? r.outcome) })),
  };
}

function planTarget(t: Target, history: TargetHistory, command: TargetCommand): PlannedTarget {
  const track = t.info.tenant === null ? ('global' as const) : ('tenant' as const);
  const base = { target: t.id, database: t.info.database, tenant: t.info.tenant, track };
  if (history.error) {
    return {
      ...base,
      version: null,
      steps: [],
      blocked: true,
      findings: [{ kind: 'unreadable' as const, severity: 'error' as const, migration: null, message: String(history.error.message) }],
    };
  }
  const plan = makePlan(t, history.records, command);
  return { ...base, version: currentVersion(t.migrations, history.records), steps: plan.steps, blocked: plan.blocked, findings: plan.findings.map((f) => reportFinding(f, t)) };
}

function describeSteps(p: PlannedTarget): string {
  if (p.blocked)
    return `blocked: ${p.findings
      .filter((f) => f.severity === 'error')
      .map((f) => f.message)
      .join(' ')}`;
  if (p.steps.length === 0) return 'nothing to do';
  const byAction = new Map<string, string[]>();
  for (const s of p.steps) {
    const names = byAction.get(s.action);
    if (names) names.push(s.migration);
    else byAction.set(s.action, [s.migration]);
  }
  const verb: Record<string, string> = { apply: 'apply', revert: 'revert', unrecord: 'un-record', record: 'record as applied', 'update-checksum': 'accept the checksum of' };
  return [...byAction].map(([action, names]) => `${verb[action] ?? action} ${names.join(', ')}`).join('; ');
}

export function groupPlans(planned: PlannedTarget[]): PlanGroup[] {
  const groups = new Map<string, PlanGroup>();
  for (const p of planned) {
    const action = describeSteps(p);
    const key = `${p.database}\u0000${p.track}\u0000${p.version}\u0000${action}`;
    const g = groups.get(key) ?? { database: p.database, track: p.track, count: 0, examples: [], version: p.version, action };
    g.count++;
    if (g.examples.length < 5) g.examples.push(p.target);
    groups.set(key, g);
  }
  return [...groups.values()];
}

/**
 * `revert --steps N` means "N back from where each target is": over targets at different versions
 * it would leave them at different places. Returns the tracks where that is so.
 */
export function mixedVersions(plan: RunPlan): Array<{ database: string; track: string; versions: Map<string | null, number> }> {
  const byTrack = new Map<string, { database: string; track: string; versions: Map<string | null, number> }>();
  for (const p of plan.targets) {
    const k = `${p.database}/${p.track}`;
    const entry = byTrack.get(k) ?? { database: p.database, track: p.track, versions: new Map() };
    entry.versions.set(p.version, (entry.versions.get(p.version) ?? 0) + 1);
    byTrack.set(k, entry);
  }
  return [...byTrack.values()].filter((e) => e.versions.size > 1);
}

/**
 * A no-op migrate at fleet scale: the histories of a phase's targets are read in bulk (as status
 * does, a batch at a time (forEachHistoryBatch), so the histories of the whole fleet are never
 * held at once) and every target whose plan is empty, with no finding at all and no unfinished record,
 * gets its `unchanged` result at once: no session, lock or round trip of its own (the per-target
 * path cost 4 round trips and 7 ms per tenant: 55 s at 20k). Anything else (something to apply, a
 * finding, an unreadable history, no history yet) goes through the per-target path, which reads
 * the history again under the target's lock; a target settled here was at head when read, as a
 * locked read would have found it, so the run reports what a locked no-op would have reported.
 */
export function skipSettled(runtime: FleetRuntime, phase: FleetPhase, command: TargetCommand): FleetPhase {
  if (command.kind !== 'migrate' || command.ensureHistory) return phase;
  return async (previous) => {
    let resolved: { targets: Target[]; results: TargetResult[] } | null = Array.isArray(phase) ? { targets: phase, results: [] } : await phase(previous);
    // Interrupted: the targets are listed as not attempted at once (runFleet waits 1 s for a phase).
    if (runtime.signal?.aborted) return resolved;
    const run: Target[] = [];
    const results: TargetResult[] = [...resolved.results];
    // A settled target is done with once its result is made: a copy of the list is emptied batch
    // by batch and the phase's own is let go, so 100,000 of them are not all held to the end.
    const targets = resolved.targets.slice();
    resolved = null;
    await forEachHistoryBatch(
      runtime,
      targets,
      (batch, histories) => {
        for (const t of batch) {
          const history = histories.get(t.id)!;
          const plan = history.error || history.note !== null || history.records.length === 0 ? null : makePlan(t, history.records, command);
          if (!plan || plan.steps.length > 0 || plan.blocked || plan.findings.length > 0 || history.records.some((r) => r.status === 'started')) {
            run.push(t);
            continue;
          }
          const result = settledResult(t, currentVersion(t.migrations, history.records));
          results.push(result);
          // The run counts it (runFleet adds a phase's ready results to its total, this says it is done).
          runtime.emit({ type: 'target-end', result });
        }
      },
      { drain: true },
    );
    return { targets: run, results };
  };
}
