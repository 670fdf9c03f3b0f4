import pLimit from 'p-limit';
import { databaseKey } from '../db/connection-spec';
import { CONNECTION_RETIRE_AFTER } from '../db/database-pool';
import { errorToJSON } from '../errors';
import type { AppliedRecord } from '../planner/planner';
import type { SqlSession } from '../db/session';
import { existingTables, key, readHistories, StringPool } from '../storage/bulk-history';
import { readTypeormHistory } from '../storage/postgres-version-store';
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
    // Pushed, never copied: a copy per target made status quadratic (10.1 s at 20k tenants, 49.4 s at 40k).
    const group = byDatabase.get(k);
    if (group) group.push(t);
    else byDatabase.set(k, [t]);
  }
  const histories = new Map<string, TargetHistory>();
  // One pool for the whole read: the same names and checksums in every tenant's records are shared.
  const strings: StringPool = new Map();
  let statements = 0;
  // Slices of CONNECTION_RETIRE_AFTER targets of one database, read in parallel up to the run's
  // concurrency (each on its own session, within the connection budget): on a fleet in one
  // database the server opens its version tables on several backends at once, not one after another.
  const slices: Target[][] = [];
  for (const group of byDatabase.values()) {
    const spec = group[0].connection;
    if (runtime.missingDatabases.has(spec.database)) {
      for (const t of group) histories.set(t.id, { records: [], note: `database ${spec.database} does not exist yet`, error: null });
      continue;
    }
    // One session per CONNECTION_RETIRE_AFTER targets: the server keeps a cache entry for every
    // table a session opened (16 KB per version table read, measured), and the pool replaces a
    // connection once it has served that many (db/database-pool.ts).
    for (let i = 0; i < group.length; i += CONNECTION_RETIRE_AFTER) slices.push(group.slice(i, i + CONNECTION_RETIRE_AFTER));
  }
  const limit = pLimit(runtime.concurrency);
  await Promise.all(
    slices.map((slice) =>
      limit(async () => {
        try {
          const pool = await runtime.connections.pool(slice[0].connection);
          await pool.withSession(async (session) => {
            const read = await readHistories(
              session,
              slice.map((t) => ({ schema: t.info.schema, table: t.versionTable })),
              strings,
            );
            statements += read.statements;
            for (const t of slice) histories.set(t.id, { records: read.histories.get(key(t.info.schema, t.versionTable)) ?? [], note: null, error: null });
            // Before its first migrate, a target that TypeORM migrated shows TypeORM's history
            // (adoption preview). One catalog query finds those tables; only they are read one by one.
            const fresh = slice.filter((t) => t.adoptTypeormTable && histories.get(t.id)!.records.length === 0);
            const legacy = await existingTables(
              session,
              fresh.map((t) => ({ schema: t.info.schema, table: t.adoptTypeormTable! })),
            );
            if (fresh.length) statements++;
            const withLegacy = new Set(legacy.map((l) => key(l.schema, l.table)));
            for (const t of fresh) {
              if (!withLegacy.has(key(t.info.schema, t.adoptTypeormTable!))) continue;
              histories.set(t.id, { ...(await adoptionPreview(session, t)), error: null });
              statements++;
            }
          });
        } catch (err) {
          for (const t of slice) histories.set(t.id, { records: [], note: null, error: errorToJSON(err) });
        }
      }),
    ),
  );
  return { histories, statements };
}

/**
 * Reads the histories of many targets a batch at a time (CONNECTION_RETIRE_AFTER x concurrency
 * targets: every session of the run busy, each with one slice) and hands each batch to `use`
 * before the next is read: a command that needs each history only once never holds the whole
 * fleet's histories at once (history, dry-run, a no-op migrate's settling).
 */
export function forEachHistoryBatch(runtime: FleetRuntime, targets: readonly Target[], use: BatchUse): Promise<void>;
/** `drain`: `targets` is the caller's to empty: each batch's slots are emptied once used, so what `use` did not keep can be collected. */
export function forEachHistoryBatch(runtime: FleetRuntime, targets: Target[], use: BatchUse, options: { drain: true }): Promise<void>;
export async function forEachHistoryBatch(runtime: FleetRuntime, targets: readonly Target[], use: BatchUse, options: { drain?: boolean } = {}): Promise<void> {
  const size = CONNECTION_RETIRE_AFTER * Math.max(1, runtime.concurrency);
  for (let i = 0; i < targets.length; i += size) {
    const batch = targets.slice(i, i + size);
    const read = await readTargetHistories(runtime, batch);
    await use(batch, read.histories, read.statements);
    // The second signature: a mutable list, the caller's to empty.
    if (options.drain) (targets as Target[]).fill(undefined as unknown as Target, i, i + size);
  }
}

/** One batch: its targets, their histories, and the statements their read sent. */
type BatchUse = (batch: readonly Target[], histories: Map<string, TargetHistory>, statements: number) => void | Promise<void>;

/** Before its first migrate, TypeORM's own table stands in for a target's history (adoption preview). */
async function adoptionPreview(session: SqlSession, target: Target): Promise<{ records: AppliedRecord[]; note: string | null }> {
  const records: AppliedRecord[] = [];
  const legacy = await readTypeormHistory(session, target.info.schema, target.adoptTypeormTable!);
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
