import pLimit from 'p-limit';
import { errorToJSON } from '../errors';
import type { MigrationDefinition } from '../migration/migration';
import type { AppliedRecord } from '../planner/planner';
import { CommonOptions, withRuntime } from './runtime';
import { readHistory } from './status';

export interface HistoryEntry {
  name: string;
  status: AppliedRecord['status'];
  method: AppliedRecord['method'];
  appliedAt: string;
  durationMs: number | null;
  /** `ok`, `changed` (edited since applied), `missing` (not in the code) or `unknown` (no checksum). */
  checksum: 'ok' | 'changed' | 'missing' | 'unknown';
  reason: string | null;
}

export interface HistoryReport {
  command: 'history';
  app: string;
  ok: boolean;
  targets: Array<{ target: string; database: string; schema: string; tenant: string | null; entries: HistoryEntry[]; note: string | null; error: Record<string, unknown> | null }>;
}

export function checksumState(record: AppliedRecord, code: MigrationDefinition | undefined): HistoryEntry['checksum'] {
  if (!code) return 'missing';
  if (record.checksum === null) return 'unknown';
  return record.checksum === code.checksum ? 'ok' : 'changed';
}

/** Every target's version table, oldest first, with each row checked against the code. */
export function history(options: CommonOptions): Promise<HistoryReport> {
  return withRuntime(options, { createDatabases: false }, async (runtime) => {
    const limit = pLimit(runtime.concurrency);
    const targets = await Promise.all(
      runtime.targets.map((target) =>
        limit(async () => {
          const base = { target: target.id, database: target.info.database, schema: target.info.schema, tenant: target.info.tenant };
          try {
            const { records, note } = await readHistory(runtime, target);
            const byName = new Map(target.migrations.map((m) => [m.name, m]));
            const entries = records.map((r) => ({
              name: r.name,
              status: r.status,
              method: r.method,
              appliedAt: r.appliedAt,
              durationMs: r.durationMs,
              checksum: checksumState(r, byName.get(r.name)),
              reason: r.reason,
            }));
            return { ...base, entries, note, error: null };
          } catch (err) {
            return { ...base, entries: [], note: null, error: errorToJSON(err) };
          }
        }),
      ),
    );
    return { command: 'history' as const, app: runtime.config.app, ok: targets.every((t) => t.error === null), targets };
  });
}
