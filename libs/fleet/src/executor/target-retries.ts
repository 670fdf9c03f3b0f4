/**
 * One target's attempts within a run (run-fleet.ts drives them): after each, whether to retry
 * (retry-policy.ts), with which lock_timeout, and the record of every attempt that goes into the
 * target's result (report, run journal, JSON). Also what the attempts hand on to the next one:
 * the statements a non-transactional migration completed, the INVALID indexes it found first.
 */
import type { FleetEvent } from '../events';
import type { Target } from '../targets/target';
import type { ResumeState } from './apply-steps';
import type { TargetCommand } from './execute-plan';
import type { TargetResult } from './result';
import { AttemptRecord, effectivePolicy, NextAttempt, nextAttempt } from './retry-policy';

export type RetryEvent = Omit<Extract<FleetEvent, { type: 'retry' }>, 'type' | 'target'>;

export class TargetRetries {
  readonly resume = new Map<string, ResumeState>();
  private readonly attempts: AttemptRecord[] = [];
  private readonly repaired: NonNullable<TargetResult['repairedIndexes']> = [];
  private attempt = 1;
  private lockTimeoutMs: number;

  constructor(
    private readonly target: Target,
    private readonly command: TargetCommand,
    /** Queue mode's coordinator: its workers retry (their results carry their attempts). */
    private readonly options: { queued: boolean; random?: () => number },
  ) {
    this.lockTimeoutMs = target.settings.lockTimeoutMs;
  }

  /** After an attempt ended with `result`: the retry to make (null: none; the result is final). */
  after(result: TargetResult, elapsedMs: number): RetryEvent | null {
    if (this.options.queued) return null;
    this.repaired.push(...(result.repairedIndexes ?? []));
    const failed = result.outcome === 'failed' ? result.failed : null;
    const base = { attempt: this.attempt, lockTimeoutMs: this.lockTimeoutMs, durationMs: result.durationMs };
    if (!failed) {
      // The last attempt: it succeeded, or ended another way (blocked: e.g. a non-transactional down() left `started`).
      const ok = result.outcome === 'changed' || result.outcome === 'unchanged';
      if (this.attempts.length) this.attempts.push({ ...base, ok, migration: null, kind: null, sqlState: null, message: result.outcome, waitMs: null });
      return null;
    }
    const transient = failed.transient ?? null;
    if (!transient && this.attempts.length === 0) return null; // an ordinary failure: the result says it all
    const override = failed.migration ? this.target.migrations.find((m) => m.name === failed.migration)?.retries : undefined;
    const policy = effectivePolicy(this.target.settings.retries, override);
    const next: NextAttempt = !this.repeatable(result)
      ? { retry: false, reason: 'a revert by --steps that already reverted some: not repeated (run it again)' }
      : nextAttempt(this.attempt, transient, policy, elapsedMs, this.target.settings.lockTimeoutMs, this.options.random);
    const code = failed.error.sqlState ?? failed.error.code;
    const sqlState = transient?.sqlState ?? (typeof code === 'string' ? code : null);
    const message = String(failed.error.message ?? '');
    this.attempts.push({
      ...base,
      ok: false,
      migration: failed.migration,
      kind: transient?.kind ?? null,
      sqlState,
      message,
      waitMs: next.retry ? next.waitMs : null,
      ...(next.retry ? {} : { gaveUp: next.reason }),
    });
    if (!next.retry || !transient) return null;
    const event: RetryEvent = {
      attempt: this.attempt,
      migration: failed.migration,
      kind: transient.kind,
      sqlState: transient.sqlState,
      message,
      lockTimeoutMs: this.lockTimeoutMs,
      waitMs: next.waitMs,
      nextLockTimeoutMs: next.lockTimeoutMs,
      retriesLeft: next.retriesLeft,
    };
    this.attempt++;
    this.lockTimeoutMs = next.lockTimeoutMs;
    return event;
  }

  /** The target as the next attempt runs it: its lock_timeout stepped up. */
  nextTarget(): Target {
    return { ...this.target, settings: { ...this.target.settings, lockTimeoutMs: this.lockTimeoutMs } };
  }

  /** The run stopped before the retry: the last attempt says why it was the last. */
  stopped(reason: string): void {
    const last = this.attempts[this.attempts.length - 1];
    if (last) last.gaveUp = reason;
  }

  /** The final result gets every attempt, the indexes repaired on the way and the time of them all. */
  finish(result: TargetResult, totalMs: number): void {
    if (this.attempts.length) {
      result.attempts = this.attempts;
      result.durationMs = totalMs;
    }
    if (this.repaired.length) result.repairedIndexes = this.repaired;
  }

  /** A `revert --steps N` that already reverted some would revert N again: not retried. */
  private repeatable(result: TargetResult): boolean {
    if (this.command.kind !== 'revert' || this.command.to !== undefined) return true;
    return result.reverted.length === 0 && result.skipped.length === 0;
  }
}
