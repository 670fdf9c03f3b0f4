import type { MigrationDefinition } from '../migration/migration';
import type { AppliedRecord } from '../planner/planner';
import type { Target } from '../targets/target';
import { forEachHistoryBatch, TargetHistory } from './read-histories';
import { CommonOptions, withRuntime } from './runtime';

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
    const tenants = await runtime.tenantTargets();
    const targets = [...runtime.globalTargets(), ...tenants.targets];
    const out: HistoryReport['targets'] = [];
    // A batch's histories become the report's entries before the next batch is read (never the whole fleet's twice).
    await forEachHistoryBatch(runtime, targets, (batch, histories) => {
      for (const target of batch) out.push(entryOf(target, histories.get(target.id)!));
    });
    for (const r of tenants.results) out.push({ target: r.target, database: r.database, schema: '', tenant: r.tenant, entries: [], note: null, error: r.failed?.error ?? null });
    return { command: 'history' as const, app: runtime.config.app, ok: out.every((t) => t.error === null), targets: out };
  });
}

function entryOf(target: Target, h: TargetHistory): HistoryReport['targets'][number] {
  const byName = new Map(target.migrations.map((m) => [m.name, m]));
  return {
    target: target.id,
    database: target.info.database,
    schema: target.info.schema,
    tenant: target.info.tenant,
    entries: h.records.map((r) => ({
      name: r.name,
      status: r.status,
      method: r.method,
      appliedAt: r.appliedAt,
      durationMs: r.durationMs,
      checksum: checksumState(r, byName.get(r.name)),
      reason: r.reason,
    })),
    note: h.note,
    error: h.error,
  };
}
