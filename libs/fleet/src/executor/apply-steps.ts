/**
 * How the steps of a plan are carried out on a target whose lock is held: transactions (one per
 * migration, or runs of transactional ones), lock_timeout retries, non-transactional migrations
 * marked `started` first, conditional skips, and each step recorded in the version table in the
 * same transaction as the migration itself. The plan itself is made in execute-plan.ts.
 */
import { MigrationFailedError, throwIfInterrupted } from '../errors';
import type { EventListener } from '../events';
import type { MigrationDefinition } from '../migration/migration';
import type { AppliedRecord, Step } from '../planner/planner';
import type { RecordInput, VersionStore } from '../storage/version-store';
import type { Target } from '../targets/target';
import type { MigrationRunner } from './migration-runner';
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
}

/**
 * One transaction; when a statement in it hits lock_timeout (SQLSTATE 55P03: another session
 * holds a lock it needs, e.g. a long transaction on a tenant table), the transaction is rolled
 * back and tried again after a backoff (1 s, 2 s, 4 s...), `lockRetries` times. Queued DDL never
 * blocks the app's queries for longer than lock_timeout at a time.
 */
async function inTransactionRetryingLocks<T>(ctx: ExecuteContext, what: string, fn: () => Promise<T>): Promise<T> {
  const { lockRetries, lockTimeoutMs } = ctx.target.settings;
  for (let attempt = 0; ; attempt++) {
    try {
      return await ctx.runner.inTransaction(fn);
    } catch (err) {
      if (!isLockTimeout(err) || attempt >= lockRetries || ctx.signal?.aborted) throw err;
      const delayMs = 1000 * 2 ** attempt;
      ctx.emit({
        type: 'notice',
        message: `${ctx.target.id}: ${what} waited longer than lock_timeout (${lockTimeoutMs} ms) for a lock another session holds; rolled back, retry ${attempt + 1} of ${lockRetries} in ${delayMs / 1000} s`,
      });
      await sleep(delayMs, ctx.signal);
    }
  }
}

function isLockTimeout(err: unknown): boolean {
  for (let e = err as { code?: unknown; details?: { sqlState?: unknown }; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.code === '55P03' || e.details?.sqlState === '55P03') return true;
  }
  return false;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
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

export async function applySteps(ctx: ExecuteContext, steps: Step[], result: TargetResult): Promise<void> {
  const byName = new Map(ctx.target.migrations.map((m) => [m.name, m]));
  for (const group of transactionGroups(steps, byName, ctx.target.settings.transactionMode)) {
    throwIfInterrupted(ctx.signal);
    const first = byName.get(group[0].migration)!;
    if (!first.transactional) {
      await applyNonTransactional(ctx, first, result);
      continue;
    }
    const done: Array<{ name: string; skipped?: string }> = [];
    await inTransactionRetryingLocks(ctx, group.map((g) => g.migration).join(', '), async () => {
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
    });
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
 * someone looks (it may be half-applied).
 */
async function applyNonTransactional(ctx: ExecuteContext, migration: MigrationDefinition, result: TargetResult): Promise<void> {
  const skip = await skipReason(ctx, migration);
  if (skip !== null) {
    await ctx.store.record(skipRecord(ctx, migration, skip));
    result.skipped.push({ migration: migration.name, reason: skip });
    return;
  }
  const base = { name: migration.name, timestamp: migration.timestamp, checksum: migration.checksum, method: 'run' as const };
  await ctx.store.record({ ...base, status: 'started', durationMs: null, reason: 'non-transactional migration in progress' });
  let durationMs: number;
  try {
    durationMs = await runOne(ctx, migration, 'up');
  } catch (err) {
    await ctx.store.record({ ...base, status: 'started', durationMs: null, reason: `failed, may be partly applied: ${(err as Error)?.message}` }).catch(() => undefined); // the row already says `started`; the original error is what matters
    throw err;
  }
  await ctx.store.record({ ...base, status: 'applied', durationMs, reason: null });
  result.applied.push(migration.name);
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

async function runOne(ctx: ExecuteContext, migration: MigrationDefinition, direction: 'up' | 'down'): Promise<number> {
  const target = ctx.target.id;
  ctx.emit({ type: 'migration-start', target, migration: migration.name, direction });
  const started = Date.now();
  try {
    await ctx.runner.run(migration, direction);
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
    if (migration.transactional) await inTransactionRetryingLocks(ctx, migration.name, undo);
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
