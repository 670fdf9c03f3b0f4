/**
 * Carries out one command on one target whose lock is held: reads the history, asks the planner,
 * runs the steps under the target's transaction mode, and records every step in the version
 * table in the same transaction as the migration itself.
 */
import { errorToJSON, InterruptedError, MigrationFailedError } from '../errors';
import { AppliedRecord, currentVersion, Plan, planRevert, planStamp, planUpgrade, RevertOptions, UpgradeOptions, versionOf } from '../planner/planner';
import { Target, trackId } from '../targets/target';
import { applySteps, ExecuteContext, revertSteps, stampSteps } from './apply-steps';
import type { TransactionOpening } from './migration-runner';
import { emptyResult, reportFinding, TargetResult } from './result';
import { classifyTransient } from './retry-policy';

export type { ExecuteContext } from './apply-steps';

export type TargetCommand =
  /** `ensureHistory`: create the schema and version table even with nothing to apply (onboarding). */
  | ({ kind: 'migrate'; ensureHistory?: boolean; refuseByTrack?: ReadonlyMap<string, ReadonlyMap<string, string>> } & UpgradeOptions)
  | ({ kind: 'revert' } & RevertOptions)
  | { kind: 'stamp'; to: string; force?: boolean };

export async function executeOnTarget(ctx: ExecuteContext, command: TargetCommand): Promise<TargetResult> {
  const started = Date.now();
  const { target, store } = ctx;
  const result = emptyResult(target);

  let applied = await store.readApplied();
  // The version table is created lazily, only when something is to be recorded: a track with
  // nothing to do leaves no trace. TypeORM's history is adopted only while ours does not exist.
  if (applied === null && ctx.readLegacyHistory) applied = await adoptLegacyHistory(ctx);
  // A `started` row this run's earlier attempt left is resumed (apply-steps.ts), not a finding.
  const history = (applied ?? []).filter((r) => !(r.status === 'started' && ctx.resume?.has(r.name)));
  result.versionBefore = currentVersion(target.migrations, history);
  const plan = makePlan(target, history, command);
  result.findings = plan.findings.map((f) => reportFinding(f, target));
  ctx.emit({ type: 'plan', target: target.id, steps: plan.steps, findings: plan.findings });

  if (plan.blocked) {
    result.outcome = 'blocked';
    result.versionAfter = result.versionBefore;
  } else {
    try {
      const opening = await prepareTarget(ctx, plan, command, applied === null && (plan.steps.length > 0 || (command.kind === 'migrate' && command.ensureHistory === true)));
      if (command.kind === 'migrate') await applySteps(ctx, plan.steps, result, opening);
      else if (command.kind === 'revert') await revertSteps(ctx, plan.steps, result, history);
      else await stampSteps(ctx, plan.steps, result);
      result.outcome = plan.steps.length > 0 ? 'changed' : 'unchanged';
      result.versionAfter = versionAfterSuccess(target, history, command, result);
    } catch (caught) {
      // A statement cancelled because the run was interrupted reads as the interruption, not as a bug in the migration.
      const err =
        ctx.signal?.aborted && !(caught instanceof InterruptedError) ? Object.assign(new InterruptedError(String(ctx.signal.reason ?? 'aborted')), { cause: caught }) : caught;
      result.outcome = 'failed';
      const migration = (caught as MigrationFailedError)?.details?.migration;
      const transient = classifyTransient(caught, ctx.signal);
      result.failed = { migration: typeof migration === 'string' ? migration : null, error: errorToJSON(err), ...(transient ? { transient } : {}) };
      // What the version table holds: the groups that committed before the failure are in
      // result.applied (a group is counted only once committed), so no read on a session that may be dead.
      result.versionAfter = versionAfterSuccess(target, history, command, result);
    }
  }
  result.durationMs = Date.now() - started;
  return result;
}

/**
 * What must happen before the first step: the guard (run-target.ts: is the tenant still
 * registered) and, for a target without a version table, its creation. When the first step is
 * a migration in a transaction, both ride on the round trip that opens it (returned for
 * applySteps): one round trip instead of three for a new tenant, and a tenant whose first
 * transaction fails (or that was dropped meanwhile) keeps no empty version table. Otherwise
 * each is sent on its own, before the steps.
 */
async function prepareTarget(ctx: ExecuteContext, plan: Plan, command: TargetCommand, create: boolean): Promise<TransactionOpening | undefined> {
  const { guard, store } = ctx;
  const first = command.kind === 'migrate' && plan.steps.length > 0 ? ctx.target.migrations.find((m) => m.name === plan.steps[0].migration) : undefined;
  const creation = create ? store.ensureStatements?.() : [];
  if (first?.transactional && creation !== undefined) {
    if (!guard && creation.length === 0) return undefined;
    return { statements: [...(guard?.statements ?? []), ...creation], check: guard?.check };
  }
  if (guard) await guard.alone();
  if (create) await store.ensure();
  return undefined;
}

export function makePlan(target: Target, applied: AppliedRecord[], command: TargetCommand): Plan {
  switch (command.kind) {
    case 'migrate':
      return planUpgrade(target.migrations, applied, {
        to: command.to,
        allowOutOfOrder: command.allowOutOfOrder ?? target.settings.allowOutOfOrder,
        refuse: command.refuse ?? command.refuseByTrack?.get(trackId(target.info.app, target.info.database, target.info.tenant === null ? 'global' : 'tenant')),
      });
    case 'revert':
      return planRevert(target.migrations, applied, { steps: command.steps, to: command.to });
    case 'stamp':
      return planStamp(target.migrations, applied, command.to, { force: command.force });
  }
}

/** Copies TypeORM's history into a new version table; returns the adopted records (null: nothing to adopt). */
async function adoptLegacyHistory(ctx: ExecuteContext): Promise<AppliedRecord[] | null> {
  const legacy = await ctx.readLegacyHistory!();
  if (legacy.length === 0) return null;
  const byName = new Map(ctx.target.migrations.map((m) => [m.name, m]));
  await ctx.store.ensure();
  await ctx.store.record(
    ...legacy.map((row) => ({
      name: row.name,
      timestamp: row.timestamp,
      checksum: byName.get(row.name)?.checksum ?? null,
      status: 'applied' as const,
      method: 'adopt' as const,
      durationMs: null,
      reason: "adopted from TypeORM's migrations table",
    })),
  );
  ctx.emit({ type: 'notice', message: `${ctx.target.id}: adopted ${legacy.length} migration(s) from TypeORM's migrations table` });
  return ctx.store.readApplied();
}

/** The version after a successful command, computed from the plan instead of re-reading the table. */
function versionAfterSuccess(target: Target, before: AppliedRecord[], command: TargetCommand, result: TargetResult): string | null {
  const done = new Set(before.filter((r) => r.status !== 'started').map((r) => r.name));
  if (command.kind === 'migrate') {
    for (const name of result.applied) done.add(name);
    for (const s of result.skipped) done.add(s.migration);
  } else if (command.kind === 'revert') {
    for (const name of result.reverted) done.delete(name);
    for (const s of result.skipped) done.delete(s.migration);
  } else {
    for (const entry of result.recorded) {
      const [action, name] = entry.split(' ');
      if (action === 'unrecord') done.delete(name);
      else done.add(name);
    }
  }
  return versionOf(target.migrations, done);
}
