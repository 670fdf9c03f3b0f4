/**
 * The planner: (available migrations x applied records x options) -> steps and findings.
 * Pure: no I/O, no clock, no database. Every decision about WHAT to run is made here and tested
 * with plain arrays (planner.spec.ts); the executor only carries the plan out.
 */
import { compareMigrations } from '../migration/migration';

export { describeFinding } from './describe-finding';

/** The subset of a migration the planner needs. */
export interface AvailableMigration {
  name: string;
  timestamp: number;
  checksum: string;
  transactional: boolean;
}

export type AppliedStatus = 'applied' | 'skipped' | 'started';
export type AppliedMethod = 'run' | 'stamp' | 'adopt';

/** One row of a target's version table. */
export interface AppliedRecord {
  name: string;
  timestamp: number;
  checksum: string | null;
  /** `started`: a non-transactional migration began and never finished (needs attention). */
  status: AppliedStatus;
  method: AppliedMethod;
  appliedAt: string;
  durationMs: number | null;
  reason: string | null;
}

export type Finding =
  | { kind: 'checksum-mismatch'; severity: 'error'; migration: string; recorded: string; current: string; currentVersion: string }
  | { kind: 'missing-from-code'; severity: 'error'; migration: string }
  | { kind: 'out-of-order'; severity: 'error' | 'warning'; migration: string; appliedAfter: string }
  | { kind: 'interrupted'; severity: 'error'; migration: string }
  | { kind: 'unknown-migration'; severity: 'error'; migration: string; option: string }
  | { kind: 'nothing-to-revert'; severity: 'warning'; migration: null }
  | { kind: 'lint-refused'; severity: 'error'; migration: string; reason: string }
  | { kind: 'stamp-unrecords'; severity: 'error'; migration: string; unrecorded: string[] };

export type StepAction = 'apply' | 'revert' | 'unrecord' | 'record' | 'update-checksum';

export interface Step {
  action: StepAction;
  migration: string;
}

export interface Plan {
  steps: Step[];
  findings: Finding[];
  /** True when an error finding means nothing may run on this target. */
  blocked: boolean;
}

export interface UpgradeOptions {
  /** Stop after this migration (inclusive). */
  to?: string;
  /** Apply a pending migration that is older than one already applied (default false: error). */
  allowOutOfOrder?: boolean;
  /** Migrations that must not run (the tenant lint refused them), with the reason: a target that would run one is blocked. */
  refuse?: ReadonlyMap<string, string>;
}

export interface RevertOptions {
  /** How many applied migrations to revert, newest first (default 1). Ignored with `to`. */
  steps?: number;
  /** Revert everything applied after this migration; `base` reverts all. */
  to?: string;
}

/** `--to base` means "before the first migration". */
export const BASE = 'base';

/**
 * Integrity of the applied history against the code: edited, missing and interrupted migrations.
 * These findings block any change to the target.
 */
export function checkHistory(available: readonly AvailableMigration[], applied: readonly AppliedRecord[]): Finding[] {
  const byName = new Map(available.map((m) => [m.name, m]));
  const findings: Finding[] = [];
  const currentVersion = newestAppliedMigration(available, applied)?.name ?? '';
  for (const rec of applied) {
    const code = byName.get(rec.name);
    if (rec.status === 'started') {
      findings.push({ kind: 'interrupted', severity: 'error', migration: rec.name });
    } else if (!code) {
      findings.push({ kind: 'missing-from-code', severity: 'error', migration: rec.name });
    } else if (rec.checksum !== null && rec.checksum !== code.checksum) {
      findings.push({ kind: 'checksum-mismatch', severity: 'error', migration: rec.name, recorded: rec.checksum, current: code.checksum, currentVersion });
    }
  }
  return findings;
}

/** The pending migrations in order (available and not recorded). */
export function pendingMigrations<T extends AvailableMigration>(available: readonly T[], applied: readonly AppliedRecord[]): T[] {
  const done = new Set(applied.map((r) => r.name));
  return [...available].sort(compareMigrations).filter((m) => !done.has(m.name));
}

export function planUpgrade(available: readonly AvailableMigration[], applied: readonly AppliedRecord[], options: UpgradeOptions = {}): Plan {
  const ordered = [...available].sort(compareMigrations);
  const findings = checkHistory(ordered, applied);
  let pending = pendingMigrations(ordered, applied);

  if (options.to !== undefined) {
    const index = ordered.findIndex((m) => m.name === options.to);
    if (index < 0) {
      findings.push({ kind: 'unknown-migration', severity: 'error', migration: options.to, option: '--to' });
    } else {
      const limit = ordered[index];
      pending = pending.filter((m) => compareMigrations(m, limit) <= 0);
    }
  }

  const newestApplied = newestAppliedMigration(ordered, applied);
  if (newestApplied) {
    for (const m of pending) {
      if (compareMigrations(m, newestApplied) < 0) {
        findings.push({
          kind: 'out-of-order',
          severity: options.allowOutOfOrder ? 'warning' : 'error',
          migration: m.name,
          appliedAfter: newestApplied.name,
        });
      }
    }
  }
  for (const m of pending) {
    const reason = options.refuse?.get(m.name);
    if (reason !== undefined) findings.push({ kind: 'lint-refused', severity: 'error', migration: m.name, reason });
  }
  return finish(
    pending.map((m) => ({ action: 'apply', migration: m.name })),
    findings,
  );
}

export function planRevert(available: readonly AvailableMigration[], applied: readonly AppliedRecord[], options: RevertOptions = {}): Plan {
  const findings = checkHistory(available, applied);
  // Newest first, in the order they were applied.
  const newestFirst = [...applied].reverse();
  let toRevert: AppliedRecord[];
  if (options.to !== undefined && options.to !== BASE) {
    const index = newestFirst.findIndex((r) => r.name === options.to);
    const inCode = [...available].sort(compareMigrations).findIndex((m) => m.name === options.to);
    if (index >= 0) {
      toRevert = newestFirst.slice(0, index);
    } else if (inCode >= 0) {
      // Not applied here (this target is behind it, or it was skipped): revert only what is
      // applied after it in code order; a target already at or before it has nothing to do.
      const after = new Set(
        [...available]
          .sort(compareMigrations)
          .slice(inCode + 1)
          .map((m) => m.name),
      );
      toRevert = newestFirst.filter((r) => after.has(r.name));
    } else {
      findings.push({ kind: 'unknown-migration', severity: 'error', migration: options.to, option: '--to' });
      toRevert = [];
    }
  } else if (options.to === BASE) {
    toRevert = newestFirst;
  } else {
    const count = options.steps ?? 1;
    toRevert = newestFirst.slice(0, Math.max(0, count));
  }
  if (applied.length === 0) findings.push({ kind: 'nothing-to-revert', severity: 'warning', migration: null });
  return finish(
    toRevert.map((r) => ({ action: r.status === 'applied' ? 'revert' : 'unrecord', migration: r.name })),
    findings,
  );
}

/**
 * Stamp: make the version table say "everything up to `to` is applied" without running anything.
 * It may record, unrecord and accept edited checksums; it bypasses the migrations themselves.
 */
export interface StampOptions {
  /** Allow un-recording applied migrations (default false: stamp never forgets what ran). */
  force?: boolean;
}

export function planStamp(available: readonly AvailableMigration[], applied: readonly AppliedRecord[], to: string, options: StampOptions = {}): Plan {
  const ordered = [...available].sort(compareMigrations);
  const findings: Finding[] = [];
  let wanted: AvailableMigration[] = [];
  if (to !== BASE) {
    const index = ordered.findIndex((m) => m.name === to);
    if (index < 0) {
      findings.push({ kind: 'unknown-migration', severity: 'error', migration: to, option: '--to' });
      return finish([], findings);
    }
    wanted = ordered.slice(0, index + 1);
  }
  const wantedNames = new Map(wanted.map((m) => [m.name, m]));
  const recorded = new Map(applied.map((r) => [r.name, r]));
  const steps: Step[] = [];
  for (const rec of [...applied].reverse()) {
    if (!wantedNames.has(rec.name)) steps.push({ action: 'unrecord', migration: rec.name });
  }
  // Forgetting an applied migration without running its down() makes the next migrate run it
  // again over objects that exist: only on explicit request. (An interrupted `started` or a
  // `skipped` row never ran to completion, and a migration gone from the code never runs again:
  // un-recording those is what stamping back means.)
  const inCode = new Set(ordered.map((m) => m.name));
  const forgotten = steps.filter((s) => s.action === 'unrecord' && recorded.get(s.migration)?.status === 'applied' && inCode.has(s.migration)).map((s) => s.migration);
  if (forgotten.length && !options.force) findings.push({ kind: 'stamp-unrecords', severity: 'error', migration: to, unrecorded: forgotten });
  for (const m of wanted) {
    const rec = recorded.get(m.name);
    if (!rec) steps.push({ action: 'record', migration: m.name });
    else if (rec.status === 'started' || (rec.checksum !== null && rec.checksum !== m.checksum)) {
      steps.push({ action: 'update-checksum', migration: m.name });
    }
  }
  return finish(steps, findings);
}

/**
 * A target's version (what reports call it): the newest migration, in code order, of those its
 * history counts as done (an interrupted `started` row does not count). With nothing the code
 * knows, the newest recorded name stands in.
 */
export function currentVersion(available: readonly { name: string }[], applied: readonly AppliedRecord[]): string | null {
  const version = versionOf(available, new Set(applied.filter((r) => r.status !== 'started').map((r) => r.name)));
  return version ?? (applied.length ? applied[applied.length - 1].name : null);
}

/** The newest migration, in code order, among `done`. */
export function versionOf(available: readonly { name: string }[], done: ReadonlySet<string>): string | null {
  let version: string | null = null;
  for (const m of available) if (done.has(m.name)) version = m.name;
  return version;
}

function newestAppliedMigration(available: readonly AvailableMigration[], applied: readonly AppliedRecord[]): AvailableMigration | undefined {
  const ordered = [...available].sort(compareMigrations);
  const done = new Set(applied.map((r) => r.name));
  for (let i = ordered.length - 1; i >= 0; i--) if (done.has(ordered[i].name)) return ordered[i];
  return undefined;
}

function finish(steps: Step[], findings: Finding[]): Plan {
  const blocked = findings.some((f) => f.severity === 'error');
  return { steps: blocked ? [] : steps, findings, blocked };
}

export type TargetState = 'at-head' | 'pending' | 'failed' | 'diverged';

/** Status of one target from its history alone (no run involved). */
export function targetState(
  available: readonly AvailableMigration[],
  applied: readonly AppliedRecord[],
): {
  state: TargetState;
  pending: string[];
  findings: Finding[];
} {
  const findings = checkHistory(available, applied);
  const pending = pendingMigrations(available, applied).map((m) => m.name);
  const state: TargetState = findings.some((f) => f.kind === 'interrupted') ? 'failed' : findings.length > 0 ? 'diverged' : pending.length > 0 ? 'pending' : 'at-head';
  return { state, pending, findings };
}
