import type { AppliedMethod, AppliedRecord, AppliedStatus } from '../planner/planner';

/** What the executor writes for one migration. */
export interface RecordInput {
  name: string;
  timestamp: number;
  checksum: string | null;
  status: AppliedStatus;
  method: AppliedMethod;
  durationMs: number | null;
  reason: string | null;
}

/**
 * Where a target keeps its applied versions. One instance per target (schema + table);
 * every call runs on the session that holds the target's lock, inside its transaction.
 */
export interface VersionStore {
  /** Creates the version table (and its schema) if missing. */
  ensure(): Promise<void>;
  /**
   * What ensure() sends, as statements without parameters, for a caller that sends them in the
   * round trip opening the first migration's transaction (executor/execute-plan.ts); a store
   * without it is ensured on its own.
   */
  ensureStatements?(): string[];
  /** Applied records in the order they were first recorded; null when the table does not exist. */
  readApplied(): Promise<AppliedRecord[] | null>;
  /** Inserts records, or replaces those with the same name (started -> applied). */
  record(...inputs: RecordInput[]): Promise<void>;
  unrecord(name: string): Promise<void>;
}
