import pLimit from 'p-limit';
import { databaseKey } from '../db/connection-spec';
import { errorToJSON } from '../errors';
import type { AppliedRecord } from '../planner/planner';
import { APPLIED_BY } from '../executor/run-target';
import { key, readHistories } from '../storage/bulk-history';
import { PostgresVersionStore, readTypeormHistory } from '../storage/postgres-version-store';
import type { Target } from '../targets/target';
import type { FleetRuntime } from './runtime';

export type TargetHistory = { records: AppliedRecord[]; note: string | null; error: null } | { records: []; note: null; error: Record<string, unknown> };

/**
 * Reads the history of many targets, read-only and without locks: one session per database and,
 * for tenant schemas, a few bulk statements per database (see readHistories), never a round trip
 * per tenant. `statements` counts what was sent, for the benchmark.
 */
export async function readTargetHistories(runtime: FleetRuntime, targets: readonly Target[]): Promise<{ histories: Map<string, TargetHistory>; statements: number }> {
  const byDatabase = new Map<string, Target[]>();
  for (const t of targets) {
    const k = databaseKey(t.connection);
    byDatabase.set(k, [...(byDatabase.get(k) ?? []), t]);
  }
  const histories = new Map<string, TargetHistory>();
  let statements = 0;
  const limit = pLimit(runtime.concurrency);
  await Promise.all(
    [...byDatabase.values()].map((group) =>
      limit(async () => {
        const spec = group[0].connection;
        if (runtime.missingDatabases.has(spec.database)) {
          for (const t of group) histories.set(t.id, { records: [], note: `database ${spec.database} does not exist yet`, error: null });
          return;
        }
        try {
          const pool = await runtime.connections.pool(spec);
          await pool.withSession(async (session) => {
            const single = group.filter((t) => t.adoptTypeormTable);
            const bulk = group.filter((t) => !t.adoptTypeormTable);
            for (const t of single) {
              histories.set(t.id, { ...(await readWithAdoption(session, t)), error: null });
              statements += 2;
            }
            const read = await readHistories(session, bulk.map((t) => ({ schema: t.info.schema, table: t.versionTable })));
            statements += read.statements;
            for (const t of bulk) histories.set(t.id, { records: read.histories.get(key(t.info.schema, t.versionTable)) ?? [], note: null, error: null });
          });
        } catch (err) {
          for (const t of group) histories.set(t.id, { records: [], note: null, error: errorToJSON(err) });
        }
      }),
    ),
  );
  return { histories, statements };
}

/** A target's history; before its first migrate, TypeORM's own table stands in (adoption preview). */
async function readWithAdoption(session: import('../db/session').SqlSession, target: Target): Promise<{ records: AppliedRecord[]; note: string | null }> {
  const records = (await new PostgresVersionStore(session, target.info.schema, target.versionTable, APPLIED_BY).readApplied()) ?? [];
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
}
