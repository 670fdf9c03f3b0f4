/**
 * How the steps of a plan are carried out on a target whose lock is held: transactions (one per
 * migration, or runs of transactional ones), non-transactional migrations marked `started` first
 * (resumed statement by statement when the target is retried, their INVALID indexes dropped after
 * a failure), conditional skips, and each step recorded in the version table in the same
 * transaction as the migration itself. The plan itself is made in execute-plan.ts; retries of
 * transient failures are run-fleet.ts's (the target is requeued).
 */
import { MigrationFailedError, throwIfInterrupted } from '../errors';
import type { EventListener } from '../events';
import type { MigrationDefinition } from '../migration/migration';
import type { AppliedRecord, Step } from '../planner/planner';
import type { RecordInput, VersionStore } from '../storage/version-store';
import type { Target } from '../targets/target';
import type { SqlSession } from '../db/session';
import { dropNewInvalidIndexes, invalidIndexes } from './index-repair';
import type { MigrationRunner, StatementProgress, TransactionOpening } from './migration-runner';
import type { TargetResult } from './result';

export interface ExecuteContext {
  target: Target;
  store: VersionStore;
  runner: MigrationRunner;
  emit: EventListener;
  /** Legacy TypeORM history to adopt when the version table is first created. */
  readLegacyHistory?: () => Promise<Array<{ name: string; timestamp: number }>>;
  /** The run's interruption: checked before each transaction group (and each statement, by the runner). */
  signal?: AbortSignal;
  /** Fleet's own SQL on the target's session (INVALID index repair); without it, no repair. */
  session?: SqlSession;
  /** Which attempt on this target this is (1: the first; run-fleet.ts requeues transient failures). */
  attempt?: number;
  /**
   * Kept by the run across a target's attempts: per non-transactional migration an earlier attempt
   * started, its completed statements and the schema's INVALID indexes before it first ran.
   */
  resume?: Map<string, ResumeState>;
  /**
   * Must run under the lock before anything is created on the target (run-target.ts: the
   * registration re-check of a tenant without a version table). `statements` (no parameters) ride
   * on the round trip opening the first transaction and `check` reads their rows, throwing to roll
   * it back; `alone` does the same in a round trip of its own (execute-plan.ts chooses).
   */
  guard?: { statements: readonly string[]; check: (rows: unknown[][]) => void; alone: () => Promise<void> };
}

export interface ResumeState extends StatementProgress {
  /** Oids of the schema's INVALID indexes before the migration first ran (not its own). */
  invalidBefore?: number[];
  /** A drop of the migration's INVALID index failed: try again before the migration runs again. */
  repairPending?: boolean;
}

/** Groups steps into transactions: one per migration (`each`) or runs of transactional ones (`all`). */
function transactionGroups(steps: Step[], byName: Map<string, MigrationDefinition>, mode: Target['settings']['transactionMode']): Step[][] {
  const groups: Step[][] = [];
  let current: Step[] = [];
  for (const step of steps) {
    const transactional = byName.get(step.migration)!.transactional;
    if (mode === 'all' && transactional) {
      current.push(step);
      continue;
    }
    if (current.length) groups.push(current);
    current = [];
    groups.push([step]);
  }
  if (current.length) groups.push(current);
  return groups;
}

/** `opening`: sent with the first transaction's START TRANSACTION (execute-plan.ts's prepareTarget). */
export async function applySteps(ctx: ExecuteContext, steps: Step[], result: TargetResult, opening?: TransactionOpening): Promise<void> {
  const byName = new Map(ctx.target.migrations.map((m) => [m.name, m]));
  const groups = transactionGroups(steps, byName, ctx.target.settings.transactionMode);
  for (const [index, group] of groups.entries()) {
    throwIfInterrupted(ctx.signal);
    const first = byName.get(group[0].migration)!;
    if (!first.transactional) {
      await applyNonTransactional(ctx, first, result);
      continue;
    }
    const done: Array<{ name: string; skipped?: string }> = [];
    await ctx.runner.inTransaction(
      async () => {
        done.length = 0; // a retried transaction starts over
        const records: RecordInput[] = [];
        for (const step of group) {
          const migration = byName.get(step.migration)!;
          const skip = await skipReason(ctx, migration);
          if (skip !== null) {
            records.push(skipRecord(ctx, migration, skip));
            done.push({ name: migration.name, skipped: skip });
            continue;
          }
          const durationMs = await runOne(ctx, migration, 'up');
          records.push({ name: migration.name, timestamp: migration.timestamp, checksum: migration.checksum, status: 'applied', method: 'run', durationMs, reason: null });
          done.push({ name: migration.name });
        }
        // One statement records the whole group, inside the group's transaction.
        await ctx.store.record(...records);
      },
      { opening, last: index === groups.length - 1 },
    );
    opening = undefined;
    // Only now is the group committed.
    for (const d of done) {
      if (d.skipped !== undefined) result.skipped.push({ migration: d.name, reason: d.skipped });
      else result.applied.push(d.name);
    }
  }
}

/**
 * A migration that opted out of transactions: marked `started` first (committed), then run, then
 * marked `applied`. A crash or an error in between leaves `started`, which blocks the target until
 * someone looks (it may be half-applied), except for this run's own retry of the target: it
 * resumes after the statements that completed (`ctx.resume`). After a failure, the INVALID indexes
 * its concurrent builds left are dropped (index-repair.ts).
 */
async function applyNonTransactional(ctx: ExecuteContext, migration: MigrationDefinition, result: TargetResult): Promise<void> {
  const skip = await skipReason(ctx, migration);
  if (skip !== null) {
    await ctx.store.record(skipRecord(ctx, migration, skip));
    result.skipped.push({ migration: migration.name, reason: skip });
    return;
  }
  const state: ResumeState = ctx.resume?.get(migration.name) ?? { done: [] };
  ctx.resume?.set(migration.name, state);
  const schema = ctx.target.info.schema;
  if (ctx.session) {
    if (state.repairPending) await repairIndexes(ctx, migration, state, result);
    state.invalidBefore ??= (await invalidIndexes(ctx.session, [schema])).map((i) => Number(i.oid));
  }
  if (state.done.length > 0) ctx.emit({ type: 'resume', target: ctx.target.id, migration: migration.name, attempt: ctx.attempt ?? 1, skipped: state.done.length });
  const base = { name: migration.name, timestamp: migration.timestamp, checksum: migration.checksum, method: 'run' as const };
  await ctx.store.record({ ...base, status: 'started', durationMs: null, reason: 'non-transactional migration in progress' });
  let durationMs: number;
  try {
    durationMs = await runOne(ctx, migration, 'up', state);
  } catch (err) {
    const where = `failed after ${state.done.length} completed statement(s), may be partly applied`;
    await ctx.store.record({ ...base, status: 'started', durationMs: null, reason: `${where}: ${(err as Error)?.message}` }).catch(() => undefined); // the row already says `started`; the original error is what matters
    if (ctx.session && !ctx.signal?.aborted) await repairIndexes(ctx, migration, state, result).catch(() => undefined); // left pending: tried before the next attempt, else reported
    throw err;
  }
  await ctx.store.record({ ...base, status: 'applied', durationMs, reason: null });
  ctx.resume?.delete(migration.name);
  result.applied.push(migration.name);
}

/** Drops the INVALID indexes the migration's failed concurrent builds left; on failure they stay pending (and listed in the result). */
async function repairIndexes(ctx: ExecuteContext, migration: MigrationDefinition, state: ResumeState, result: TargetResult): Promise<void> {
  if (!ctx.session || !state.invalidBefore) return;
  const target = ctx.target.id;
  state.repairPending = true;
  try {
    await dropNewInvalidIndexes(ctx.session, ctx.target.info.schema, new Set(state.invalidBefore), (i) => {
      ctx.emit({ type: 'index-repaired', target, migration: migration.name, schema: i.schema, index: i.index, table: i.table });
      (result.repairedIndexes ??= []).push({ migration: migration.name, index: i.index, table: i.table, attempt: ctx.attempt ?? 1 });
    });
    state.repairPending = false;
    delete result.invalidIndexes;
  } catch (err) {
    const left = await invalidIndexes(ctx.session, [ctx.target.info.schema]).catch(() => []);
    const before = new Set(state.invalidBefore);
    result.invalidIndexes = left.filter((i) => !before.has(Number(i.oid))).map((i) => ({ migration: migration.name, index: i.index, table: i.table }));
    throw err;
  }
}

async function skipReason(ctx: ExecuteContext, migration: MigrationDefinition): Promise<string | null> {
  if (typeof migration.instance.appliesTo !== 'function') return null;
  const verdict = await migration.instance.appliesTo(ctx.target.info);
  if (verdict === true) return null;
  return typeof verdict === 'string' && verdict ? verdict : 'appliesTo() returned false for this target';
}

/** A conditional migration that does not apply here: recorded `skipped`, with the reason. */
function skipRecord(ctx: ExecuteContext, migration: MigrationDefinition, reason: string): RecordInput {
  ctx.emit({ type: 'migration-end', target: ctx.target.id, migration: migration.name, direction: 'up', outcome: 'skipped', durationMs: 0, reason });
  return { name: migration.name, timestamp: migration.timestamp, checksum: migration.checksum, status: 'skipped', method: 'run', durationMs: null, reason };
}

async function runOne(ctx: ExecuteContext, migration: MigrationDefinition, direction: 'up' | 'down', progress?: StatementProgress): Promise<number> {
  const target = ctx.target.id;
  ctx.emit({ type: 'migration-start', target, migration: migration.name, direction });
  const started = Date.now();
  try {
    await ctx.runner.run(migration, direction, progress);
  } catch (cause) {
    const durationMs = Date.now() - started;
    ctx.emit({ type: 'migration-end', target, migration: migration.name, direction, outcome: 'failed', durationMs, reason: (cause as Error)?.message });
    throw new MigrationFailedError(target, migration.name, direction, cause);
  }
  const durationMs = Date.now() - started;
  ctx.emit({ type: 'migration-end', target, migration: migration.name, direction, outcome: direction === 'up' ? 'applied' : 'reverted', durationMs });
  return durationMs;
}

export async function revertSteps(ctx: ExecuteContext, steps: Step[], result: TargetResult, applied: AppliedRecord[]): Promise<void> {
  const byName = new Map(ctx.target.migrations.map((m) => [m.name, m]));
  const records = new Map(applied.map((r) => [r.name, r]));
  for (const step of steps) {
    throwIfInterrupted(ctx.signal);
    const migration = byName.get(step.migration)!;
    const undo = async () => {
      if (step.action === 'revert') await runOne(ctx, migration, 'down');
      await ctx.store.unrecord(migration.name);
    };
    if (migration.transactional) await ctx.runner.inTransaction(undo);
    else if (step.action === 'revert') await revertNonTransactional(ctx, migration);
    else await undo();
    if (step.action === 'revert') result.reverted.push(migration.name);
    else result.skipped.push({ migration: migration.name, reason: `unrecorded (was ${records.get(migration.name)?.status})` });
  }
}

/**
 * A non-transactional down() (two DROP INDEX CONCURRENTLY, say) can stop half-way: like up(), it
 * is marked `started` first (committed), so a crash or an error leaves the target flagged as
 * needing attention instead of recorded as applied and half-reverted.
 */
async function revertNonTransactional(ctx: ExecuteContext, migration: MigrationDefinition): Promise<void> {
  const base = { name: migration.name, timestamp: migration.timestamp, checksum: migration.checksum, method: 'run' as const, durationMs: null };
  await ctx.store.record({ ...base, status: 'started', reason: 'non-transactional down() in progress: may be partly reverted' });
  try {
    await runOne(ctx, migration, 'down');
  } catch (err) {
    await ctx.store.record({ ...base, status: 'started', reason: `down() failed, may be partly reverted: ${(err as Error)?.message}` }).catch(() => undefined);
    throw err;
  }
  await ctx.store.unrecord(migration.name);
}

export async function stampSteps(ctx: ExecuteContext, steps: Step[], result: TargetResult): Promise<void> {
  const byName = new Map(ctx.target.migrations.map((m) => [m.name, m]));
  await ctx.runner.inTransaction(async () => {
    for (const step of steps) {
      if (step.action === 'unrecord') {
        await ctx.store.unrecord(step.migration);
        continue;
      }
      const m = byName.get(step.migration)!;
      await ctx.store.record({
        name: m.name,
        timestamp: m.timestamp,
        checksum: m.checksum,
        status: 'applied',
        method: 'stamp',
        durationMs: null,
        reason: step.action === 'record' ? 'stamped without running' : 'stamped: accepted the current source',
      });
    }
  });
  result.recorded = steps.map((s) => `${s.action} ${s.migration}`);
}
