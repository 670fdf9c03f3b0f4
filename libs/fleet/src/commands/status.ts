import pLimit from 'p-limit';
import { errorToJSON } from '../errors';
import { currentVersion, reportFinding } from '../executor/execute-plan';
import type { FindingReport } from '../executor/result';
import { checksumState } from './history';
import { AppliedRecord, targetState, TargetState } from '../planner/planner';
import { PostgresVersionStore, readTypeormHistory } from '../storage/postgres-version-store';
import type { Target } from '../targets/target';
import { CommonOptions, FleetRuntime, withRuntime } from './runtime';
import { APPLIED_BY } from '../executor/run-target';

export interface TargetStatus {
  target: string;
  app: string;
  database: string;
  schema: string | null;
  tenant: string | null;
  state: TargetState;
  /** Applied migrations in the order they were applied. */
  applied: string[];
  /** Conditional migrations recorded as not applying to this target. */
  skipped: string[];
  pending: string[];
  version: string | null;
  findings: FindingReport[];
  note: string | null;
  error: Record<string, unknown> | null;
}

export interface StatusReport {
  command: 'status';
  app: string;
  ok: boolean;
  summary: Record<TargetState, number> & { targets: number };
  targets: TargetStatus[];
}

/** Reads every target's history (no lock, no writes) and compares it with the code. */
export function status(options: CommonOptions): Promise<StatusReport> {
  return withRuntime(options, { createDatabases: false }, async (runtime) => {
    const limit = pLimit(runtime.concurrency);
    const targets = await Promise.all(runtime.targets.map((t) => limit(() => targetStatus(runtime, t))));
    const summary = { targets: targets.length, 'at-head': 0, pending: 0, failed: 0, diverged: 0 };
    for (const t of targets) summary[t.state]++;
    return { command: 'status', app: runtime.config.app, ok: summary.failed === 0 && summary.diverged === 0, summary, targets };
  });
}

/** The applied history of one target, read-only; TypeORM's table stands in before adoption. */
export async function readHistory(runtime: FleetRuntime, target: Target): Promise<{ records: AppliedRecord[]; note: string | null }> {
  if (runtime.missingDatabases.has(target.info.database)) {
    return { records: [], note: `database ${target.connection.database} does not exist yet` };
  }
  const pool = await runtime.connections.pool(target.connection);
  return pool.withSession(async (session) => {
    const store = new PostgresVersionStore(session, target.info.schema, target.versionTable, APPLIED_BY);
    const records = await store.readApplied();
    if (records.length > 0 || !target.adoptTypeormTable) return { records, note: null };
    const legacy = await readTypeormHistory(session, target.info.schema, target.adoptTypeormTable);
    if (legacy.length === 0) return { records, note: null };
    const byName = new Map(target.migrations.map((m) => [m.name, m]));
    return {
      records: legacy.map((l) => ({
        name: l.name,
        timestamp: l.timestamp,
        checksum: byName.get(l.name)?.checksum ?? null,
        status: 'applied' as const,
        method: 'adopt' as const,
        appliedAt: '',
        durationMs: null,
        reason: "from TypeORM's migrations table (adopted on the next migrate)",
      })),
      note: `history read from TypeORM's ${target.adoptTypeormTable} table; the next migrate adopts it`,
    };
  });
}

async function targetStatus(runtime: FleetRuntime, target: Target): Promise<TargetStatus> {
  const base = {
    target: target.id,
    app: target.info.app,
    database: target.info.database,
    schema: target.info.schema,
    tenant: target.info.tenant,
  };
  try {
    const { records, note } = await readHistory(runtime, target);
    const { state, pending, findings } = targetState(target.migrations, records);
    return {
      ...base,
      state,
      applied: records.filter((r) => r.status === 'applied').map((r) => r.name),
      skipped: records.filter((r) => r.status === 'skipped').map((r) => r.name),
      pending,
      version: currentVersion(target.migrations, records),
      findings: findings.map(reportFinding),
      note,
      error: null,
    };
  } catch (err) {
    return { ...base, state: 'failed', applied: [], skipped: [], pending: [], version: null, findings: [], note: null, error: errorToJSON(err) };
  }
}
