import type { Finding } from '../planner/planner';

export type TargetOutcome =
  /** Something was applied, reverted or (re)recorded. */
  | 'changed'
  /** Already where it was asked to be. */
  | 'unchanged'
  /** A migration failed; earlier ones of this run may be committed (see `applied`). */
  | 'failed'
  /** The plan had errors (checksum, missing, order); nothing was done. */
  | 'blocked'
  /** Not attempted (global track failed, or --fail-fast stopped the run). */
  | 'not-run';

export interface FindingReport {
  /** `unreadable`: the target's history could not be read (the message says why). */
  kind: Finding['kind'] | 'unreadable';
  severity: Finding['severity'];
  migration: string | null;
  message: string;
}

/** What happened on one target. Every target of a run gets one, whatever happened elsewhere. */
export interface TargetResult {
  target: string;
  app: string;
  database: string;
  schema: string;
  tenant: string | null;
  outcome: TargetOutcome;
  applied: string[];
  skipped: Array<{ migration: string; reason: string }>;
  reverted: string[];
  recorded: string[];
  failed: { migration: string | null; error: Record<string, unknown> } | null;
  findings: FindingReport[];
  versionBefore: string | null;
  versionAfter: string | null;
  durationMs: number;
}

export interface RunSummary {
  targets: number;
  changed: number;
  unchanged: number;
  failed: number;
  blocked: number;
  notRun: number;
}

export interface RunReport {
  command: string;
  ok: boolean;
  startedAt: string;
  durationMs: number;
  summary: RunSummary;
  results: TargetResult[];
  /** Path of the run journal, when one was written. */
  journal?: string;
  /** Set when a signal stopped the run (`SIGINT`, `SIGTERM`): targets not reached are `not-run`. */
  interrupted?: string;
}

export function summarize(results: readonly TargetResult[]): RunSummary {
  const count = (o: TargetResult['outcome']) => results.filter((r) => r.outcome === o).length;
  return {
    targets: results.length,
    changed: count('changed'),
    unchanged: count('unchanged'),
    failed: count('failed'),
    blocked: count('blocked'),
    notRun: count('not-run'),
  };
}
