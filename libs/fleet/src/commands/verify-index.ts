/**
 * `verify` proves the fleet index: per database the index is opened (built if missing), then, a
 * slice of targets at a time, their rows, their version tables, and the repair of each row that
 * differs; at the end the rows of no target are removed and the verification stamped (when the
 * run covered every target of that database). A version table changed behind Fleet's back shows
 * up here, by target, in text and JSON.
 */
import pLimit from 'p-limit';
import { errorToJSON } from '../errors';
import { APPLIED_BY } from '../executor/run-target';
import { databaseKey } from '../db/connection-spec';
import { CONNECTION_RETIRE_AFTER } from '../db/database-pool';
import type { SqlSession } from '../db/session';
import { IndexRow, indexRowOf } from '../storage/fleet-index';
import { applyRepairs, IndexKeys, IndexRepair, IndexTruth, openIndexProof, planRepairs, readIndexRows, readUnownedRows } from '../storage/index-repair';
import type { StringPool } from '../storage/string-pool';
import type { Target } from '../targets/target';
import { readTargetHistories, TargetHistory } from './read-histories';
import { groupByIndex, IndexGroup } from './read-index';
import type { FleetRuntime } from './runtime';

/** Repairs listed one by one in the report (the counts cover them all). */
export const REPAIRS_LISTED = 200;

export interface IndexProof {
  /** Indexes proven against their version tables (`<database>.<schema>`). */
  databases: number;
  /** Indexes this verify created (a fleet migrated by an older Fleet): their rows count as `built`, not repaired. */
  built: string[];
  /** Rows written into indexes built now. */
  builtRows: number;
  /** Rows that differed from their version table and were repaired. */
  repaired: { added: number; corrected: number; removed: number };
  /** The first REPAIRS_LISTED repairs: which target, what the index said, what the version table says. */
  repairs: IndexRepair[];
  /** Indexes that could not be proven (unreachable, a target's history unreadable), with why. */
  unproven: Array<{ index: string; reason: string }>;
  /** True when every index read was stamped verified (the run covered all of their targets). */
  stamped: boolean;
}

/**
 * What the index proof hands over for each target, a slice at a time, and forgets. Slices finish
 * in any order: `position` is the target's place in the list given, to report in that order.
 */
export type ProvenTarget = (target: Target, history: TargetHistory, position: number) => void;

/** The index of one database, while verify reads its version tables slice by slice. */
interface GroupProof {
  built: boolean;
  /** The server's clock when the proof opened the index: a row written later is newer than the proof. */
  since: string;
  /** Every listed target's history was read (a row of no listed target may be removed, the index stamped). */
  complete: boolean;
  /** The index could not be read or repaired: reported unproven, never stamped. */
  failed: boolean;
}

/**
 * Reads every target's history from its version table (never from the index), hands each one to
 * `each`, and proves each index against them on the way, a slice at a time (CONNECTION_RETIRE_AFTER
 * targets of one database, `concurrency` slices at once): the slice's index rows, then its version
 * tables, then the repairs of the rows that differ. Nothing of a slice is kept after it: at 100,000
 * tenants verify holds the targets and a few slices, never every history or every row. Once every
 * slice was read, the rows no target
 * owns are removed (when the run listed every target) and the index is stamped.
 */
export async function proveIndex(
  runtime: FleetRuntime,
  targets: readonly Target[],
  complete: boolean,
  each: ProvenTarget,
  /** Targets per slice: read on one session (default: as many as a connection serves before it retires). */
  sliceSize = CONNECTION_RETIRE_AFTER,
): Promise<IndexProof> {
  const { groups } = groupByIndex(targets);
  const proof: IndexProof = { databases: 0, built: [], builtRows: 0, repaired: { added: 0, corrected: 0, removed: 0 }, repairs: [], unproven: [], stamped: true };
  const limit = pLimit(runtime.concurrency);
  const o = runtime.options;
  // Rows of no listed target are removed (and the index stamped) only when every target was listed: a failed discovery never empties the index.
  const whole = complete && !o.tenants?.length && !o.targets?.length && (!o.slice || o.slice.count === 1);
  const strings: StringPool = new Map();
  const proving = new Map<IndexGroup, GroupProof>();
  const groupOf = new Map<Target, IndexGroup>();
  // An index is reported unproven once, with its first failure (slices of it may fail at the same time).
  const fail = (g: IndexGroup, err: unknown) => {
    const p = proving.get(g);
    if (p?.failed) return;
    if (p) p.failed = true;
    proof.unproven.push({ index: g.label, reason: errorToJSON(err).message as string });
  };
  const onSession = async <T>(g: IndexGroup, fn: (session: SqlSession) => Promise<T>) => (await runtime.connections.pool(g.spec)).withSession(fn);
  await Promise.all(
    groups.map((g) =>
      limit(async () => {
        if (runtime.missingDatabases.has(g.spec.database)) return;
        try {
          const opened = await onSession(g, (session) => openIndexProof(session, g.schema));
          proving.set(g, { ...opened, complete: whole, failed: false });
          for (const t of g.targets) groupOf.set(t, g);
        } catch (err) {
          fail(g, err);
        }
      }),
    ),
  );
  const repair = async (g: IndexGroup, repairs: ReturnType<typeof planRepairs>, stamp: boolean) => {
    const p = proving.get(g)!;
    try {
      await onSession(g, (session) => applyRepairs(session, g.schema, repairs, APPLIED_BY, stamp));
    } catch (err) {
      return fail(g, err);
    }
    if (p.built) return void (proof.builtRows += repairs.length);
    for (const r of repairs) {
      proof.repaired[r.change]++;
      if (proof.repairs.length < REPAIRS_LISTED) proof.repairs.push({ target: r.target, change: r.change, was: r.was, now: r.now });
    }
  };
  // Slices of one database's targets, each read on its own session, in parallel up to the run's
  // concurrency, and each proven as soon as it is read: no slice waits for another (a batch of
  // slices waited for its slowest before the next began).
  const slices: Array<{ targets: Target[]; positions: number[] }> = [];
  const open = new Map<string, { targets: Target[]; positions: number[] }>();
  targets.forEach((t, position) => {
    const k = databaseKey(t.connection);
    let slice = open.get(k);
    if (!slice || slice.targets.length >= sliceSize) {
      open.set(k, (slice = { targets: [], positions: [] }));
      slices.push(slice);
    }
    slice.targets.push(t);
    slice.positions.push(position);
  });
  open.clear();
  const proveSlice = async (slice: Target[], positions: number[]) => {
    const byGroup = new Map<IndexGroup, Target[]>();
    for (const t of slice) {
      const g = groupOf.get(t);
      if (!g) continue;
      const list = byGroup.get(g);
      if (list) list.push(t);
      else byGroup.set(g, [t]);
    }
    // The slice's index rows first, then its version tables: a row a migrate writes in between is newer than what was read, and a repair leaves it alone.
    const indexed = new Map<IndexGroup, Map<string, IndexRow>>();
    for (const [g, list] of byGroup) {
      if (proving.get(g)!.failed) continue;
      try {
        indexed.set(g, await onSession(g, (session) => readIndexRows(session, g.schema, keysOf(list), strings)));
      } catch (err) {
        fail(g, err);
      }
    }
    const { histories } = await readTargetHistories(runtime, slice);
    const truths = new Map<IndexGroup, IndexTruth[]>();
    slice.forEach((t, i) => {
      const h = histories.get(t.id)!;
      each(t, h, positions[i]);
      const g = groupOf.get(t);
      if (!g || !indexed.has(g)) return;
      if (h.error) return void (proving.get(g)!.complete = false);
      let list = truths.get(g);
      if (!list) truths.set(g, (list = []));
      // A note means no version table of Fleet's (a database not created yet, TypeORM's history previewed): no row.
      list.push({ target: t.id, schema: t.info.schema, versionTable: t.versionTable, row: h.note === null ? indexRowOf(t.info.schema, t.versionTable, h.records) : null });
    });
    for (const [g, list] of truths) {
      const repairs = planRepairs(indexed.get(g)!, list, false);
      if (repairs.length && !proving.get(g)!.failed) await repair(g, repairs, false);
    }
  };
  await Promise.all(slices.map((slice) => limit(() => proveSlice(slice.targets, slice.positions))));
  await Promise.all(
    [...proving].map(([g, p]) =>
      limit(async () => {
        if (p.failed) return;
        try {
          // The rows left belong to no target: removed when the run listed every target of the database.
          const unowned = p.complete ? await onSession(g, (session) => readUnownedRows(session, g.schema, keysOf(g.targets), p.since, strings)) : new Map<string, IndexRow>();
          await repair(g, planRepairs(unowned, [], p.complete), p.complete);
        } catch (err) {
          return fail(g, err);
        }
        if (p.failed) return;
        proof.databases++;
        if (p.built) proof.built.push(g.label);
      }),
    ),
  );
  proof.stamped = proof.unproven.length === 0 && [...proving.values()].every((p) => p.complete && !p.failed);
  proof.built.sort();
  return proof;
}

function keysOf(targets: readonly Target[]): IndexKeys {
  const keys: IndexKeys = { schemas: [], tables: [] };
  for (const t of targets) {
    keys.schemas.push(t.info.schema);
    keys.tables.push(t.versionTable);
  }
  return keys;
}
