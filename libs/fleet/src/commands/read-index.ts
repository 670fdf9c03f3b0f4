/**
 * Status from the fleet index (storage/fleet-index.ts): per database one read of its index,
 * instead of every target's version table. A target whose row proves its history (the code's
 * first n migrations, same order, same checksums, nothing interrupted) is answered from the row;
 * the others (no row, an interrupted or out-of-order history, a database with no index yet) are
 * read from their version tables as before, so the answer is never guessed. What the index cannot
 * see (a version table changed behind Fleet's back) is what `verify` finds: status says when that
 * last happened, and warns when it never did or long ago.
 */
import pLimit from 'p-limit';
import { databaseKey } from '../db/connection-spec';
import type { ConnectionSpec } from '../db/connection-spec';
import type { MigrationDefinition } from '../migration/migration';
import type { AppliedRecord } from '../planner/planner';
import { historyFromIndex, IndexMeta, indexKey, IndexState, prefixDigests, readIndexStates } from '../storage/fleet-index';
import type { Target } from '../targets/target';
import { forEachHistoryBatch, TargetHistory } from './read-histories';
import type { FleetRuntime } from './runtime';

/** Default age after which status warns that the index was not verified recently. */
export const DEFAULT_INDEX_MAX_AGE_HOURS = 24;

/** What status says about the index it answered from. */
export interface IndexStatus {
  /** Databases (or tenant databases) whose index was read. */
  databases: number;
  /** `<database>.<schema>` of each database that has no index yet (its targets were read from their version tables). */
  missing: string[];
  /** `<database>.<schema>` of each index never verified. */
  neverVerified: string[];
  /** The oldest verification among the indexes read (null: none was ever verified). */
  oldestVerifiedAt: string | null;
  /** Index rows Fleet wrote since their index was last verified. */
  changedSinceVerify: number;
  /** Targets answered from the index. */
  fromIndex: number;
  /** Targets read from their version tables (no row, a row that proves nothing, no index). */
  readFromTables: number;
  /** Warnings, one sentence each (also in the text output). */
  warnings: string[];
}

export interface IndexGroup {
  spec: ConnectionSpec;
  schema: string;
  label: string;
  targets: Target[];
}

/** Targets grouped by the index that holds their rows (database + schema); targets with no index apart. */
export function groupByIndex(targets: readonly Target[]): { groups: IndexGroup[]; unindexed: Target[] } {
  const groups = new Map<string, IndexGroup>();
  const unindexed: Target[] = [];
  for (const t of targets) {
    if (!t.indexSchema) {
      unindexed.push(t);
      continue;
    }
    const k = `${databaseKey(t.connection)}\u0000${t.indexSchema}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { spec: t.connection, schema: t.indexSchema, label: `${t.connection.database}.${t.indexSchema}`, targets: [] }));
    g.targets.push(t);
  }
  return { groups: [...groups.values()], unindexed };
}

/** Reads every target's history through the index where it proves it (see the file's comment). */
export async function readIndexedHistories(
  runtime: FleetRuntime,
  targets: readonly Target[],
  maxAgeHours = DEFAULT_INDEX_MAX_AGE_HOURS,
): Promise<{ histories: Map<string, TargetHistory>; statements: number; index: IndexStatus }> {
  const { groups, unindexed } = groupByIndex(targets);
  const histories = new Map<string, TargetHistory>();
  const rest: Target[] = [...unindexed];
  const metas: Array<{ label: string; meta: IndexMeta }> = [];
  const index: IndexStatus = { databases: 0, missing: [], neverVerified: [], oldestVerifiedAt: null, changedSinceVerify: 0, fromIndex: 0, readFromTables: 0, warnings: [] };
  let statements = 0;
  const prefixes = new Map<MigrationDefinition[], string[]>();
  // Targets in the same state share one history (read-only): 100k tenants at head are one array, not 100k.
  const shared = new Map<MigrationDefinition[], Map<IndexState, AppliedRecord[] | null>>();
  const fromRow = (t: Target, row: IndexState): AppliedRecord[] | null => {
    let byState = shared.get(t.migrations);
    if (!byState) {
      shared.set(t.migrations, (byState = new Map()));
      prefixes.set(t.migrations, prefixDigests(t.migrations));
    }
    if (!byState.has(row)) byState.set(row, historyFromIndex(t.migrations, prefixes.get(t.migrations)!, row));
    return byState.get(row)!;
  };
  // And one history object per shared array (read-only too): not 100,000 wrappers of one array.
  const wrappers = new Map<AppliedRecord[], TargetHistory>();
  const historyOf = (records: AppliedRecord[]): TargetHistory => {
    let h = wrappers.get(records);
    if (!h) wrappers.set(records, (h = { records, note: null, error: null }));
    return h;
  };
  const limit = pLimit(runtime.concurrency);
  await Promise.all(
    groups.map((g) =>
      limit(async () => {
        if (runtime.missingDatabases.has(g.spec.database)) return void rest.push(...g.targets);
        let read: Awaited<ReturnType<typeof readIndexStates>>;
        try {
          read = await (await runtime.connections.pool(g.spec)).withSession((session) => readIndexStates(session, g.schema));
        } catch {
          // An unreachable database (or a tenant database not created yet): the version-table read reports it per target.
          return void rest.push(...g.targets);
        }
        statements += 2;
        if (read === null) {
          index.missing.push(g.label);
          return void rest.push(...g.targets);
        }
        index.databases++;
        metas.push({ label: g.label, meta: read.meta });
        index.changedSinceVerify += read.changedSinceVerify;
        for (const t of g.targets) {
          const row = read.states.get(indexKey(t.info.schema, t.versionTable));
          const records = row ? fromRow(t, row) : null;
          if (records === null) rest.push(t);
          else histories.set(t.id, historyOf(records));
        }
      }),
    ),
  );
  index.fromIndex = histories.size;
  index.readFromTables = rest.length;
  if (rest.length) {
    // A batch at a time, each history kept in the form the index gives (names, checksums and
    // states; no time or duration, which status does not show) and shared by the targets whose
    // records are the same: a fleet of 100,000 tenants without an index (never verified, an older
    // Fleet) is a few arrays here, not 100,000 histories held at once (~45 MB at the start of a migrate).
    const same = new Map<string, TargetHistory>();
    await forEachHistoryBatch(runtime, rest, (batch, read, sent) => {
      statements += sent;
      for (const t of batch) histories.set(t.id, indexForm(read.get(t.id)!, same));
    });
  }
  describeIndex(index, metas, maxAgeHours);
  return { histories, statements, index };
}

/** `history` as the index would give it, one object per distinct content (an error or a note: as read). */
function indexForm(history: TargetHistory, same: Map<string, TargetHistory>): TargetHistory {
  if (history.error || history.note !== null) return history;
  const key = history.records.map((r) => [r.name, r.timestamp, r.checksum ?? '\u0002', r.status, r.method, r.reason ?? '\u0002'].join('\u0000')).join('\u0001');
  let shared = same.get(key);
  if (!shared) same.set(key, (shared = { records: history.records.map((r) => ({ ...r, appliedAt: '', durationMs: null })), note: null, error: null }));
  return shared;
}

function describeIndex(index: IndexStatus, metas: ReadonlyArray<{ label: string; meta: IndexMeta }>, maxAgeHours: number): void {
  const list = (names: string[]) => `${names.slice(0, 3).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''}`;
  const stale: string[] = [];
  for (const { label, meta } of metas) {
    if (meta.verifiedAt === null) {
      index.neverVerified.push(label);
      continue;
    }
    if (index.oldestVerifiedAt === null || meta.verifiedAt < index.oldestVerifiedAt) index.oldestVerifiedAt = meta.verifiedAt;
    if (Date.now() - Date.parse(meta.verifiedAt) > maxAgeHours * 3_600_000) stale.push(label);
  }
  index.missing.sort();
  index.neverVerified.sort();
  if (index.missing.length) {
    index.warnings.push(
      `no fleet index in ${list(index.missing)} (a fleet migrated by an older Fleet): status read those version tables instead; run fleet verify to build the index`,
    );
  }
  if (index.neverVerified.length) {
    index.warnings.push(
      `the fleet index of ${list(index.neverVerified)} was never verified: a version table changed behind Fleet's back would not show; run fleet verify to prove it`,
    );
  }
  if (stale.length) {
    index.warnings.push(
      `the fleet index of ${list(stale.sort())} was last verified more than ${maxAgeHours} h ago (oldest: ${index.oldestVerifiedAt}): run fleet verify to prove it again`,
    );
  }
}
