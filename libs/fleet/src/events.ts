import type { LockHolder } from './errors';
import type { HealthReason } from './health/reasons';
import type { Finding, Step } from './planner/planner';
import type { RunReport, TargetResult } from './executor/result';
import type { TransientKind } from './executor/retry-policy';

/**
 * What the engine reports while it works. The engine never formats text: reporters (terminal,
 * JSON lines, the run journal) listen to these.
 */
export type FleetEvent =
  /** `connections`: the open-connection budget of the run's servers, when it is smaller than what `concurrency` asks. */
  | { type: 'run-start'; command: string; targets: number; concurrency: number; connections?: number; moreToCome?: boolean; queued?: boolean }
  | { type: 'notice'; message: string }
  /** A later phase (the tenant track, once discovered) adds targets to the run. */
  | { type: 'targets-added'; count: number }
  | { type: 'target-start'; target: string }
  | { type: 'lock-wait'; target: string; holder: LockHolder | undefined }
  | { type: 'plan'; target: string; steps: Step[]; findings: Finding[] }
  | { type: 'migration-start'; target: string; migration: string; direction: 'up' | 'down' }
  | {
      type: 'migration-end';
      target: string;
      migration: string;
      direction: 'up' | 'down';
      outcome: 'applied' | 'skipped' | 'reverted' | 'failed';
      durationMs: number;
      reason?: string;
    }
  /**
   * A target's attempt failed with a transient error (retry-policy.ts): it is requeued and tried
   * again after `waitMs`, with lock_timeout `nextLockTimeoutMs`.
   */
  | {
      type: 'retry';
      target: string;
      attempt: number;
      migration: string | null;
      kind: TransientKind;
      sqlState: string;
      message: string;
      lockTimeoutMs: number;
      waitMs: number;
      nextLockTimeoutMs: number;
      /** Retries left after this one. */
      retriesLeft: number;
    }
  /** A non-transactional migration is resumed: the statements an earlier attempt completed are not run again. */
  | { type: 'resume'; target: string; migration: string; attempt: number; skipped: number }
  /** An INVALID index a failed concurrent build left (CREATE/REINDEX INDEX CONCURRENTLY) was dropped (DROP INDEX CONCURRENTLY). */
  | { type: 'index-repaired'; target: string; migration: string; schema: string; index: string; table: string }
  | { type: 'target-end'; result: TargetResult }
  /**
   * Health-aware pacing (executor/health-gate.ts): new targets on `server` (on its `database`, for
   * blocked sessions and long transactions) wait while it is unhealthy. `paused` when it starts, `still-paused` every 30 s,
   * `resumed` when a sample shows it healthy, `gave-up` when targets waited health.maxPauseMs and are not started.
   */
  | {
      type: 'health';
      state: 'paused' | 'still-paused' | 'resumed' | 'gave-up';
      server: string;
      database: string | null;
      reasons: HealthReason[];
      pausedMs: number;
      waiting: number;
    }
  | { type: 'run-end'; report: RunReport };

export type EventListener = (event: FleetEvent) => void;

/** Fans one event out to several listeners; a throwing listener never breaks the run. */
export function combineListeners(...listeners: Array<EventListener | undefined>): EventListener {
  const active = listeners.filter((l): l is EventListener => !!l);
  return (event) => {
    for (const l of active) {
      try {
        l(event);
      } catch {
        // reporters are best-effort
      }
    }
  };
}
