/**
 * `verify` proves the fleet index: per database, the index is read (built if missing), then every
 * version table, then each row that differs is repaired and the verification stamped (when the
 * run covered every target of that database). A version table changed behind Fleet's back shows
 * up here, by target, in text and JSON.
 */
import pLimit from 'p-limit';
import { errorToJSON } from '../errors';
import { APPLIED_BY } from '../executor/run-target';
import { ensureFleetIndex, indexKey, IndexRow, indexRowOf, readFleetIndex } from '../storage/fleet-index';
import { applyRepairs, IndexRepair, IndexTruth, planRepairs } from '../storage/index-repair';
import type { Target } from '../targets/target';
import { forEachHistoryBatch, TargetHistory } from './read-histories';
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

/** What the index proof hands over for each target, a batch at a time, and forgets. */
export type ProvenTarget = (target: Target, history: TargetHistory) => void;

/** The index of one database, while verify reads its version tables batch by batch. */
interface GroupProof {
  /** The rows read before the version tables; a row is dropped once its target was read (what is left has no target). */
  rows: Map<string, IndexRow>;
  built: boolean;
  /** Every listed target's history was read (a row of no listed target may be removed, the index stamped). */
  complete: boolean;
  /** A repair could not be applied: the index is reported unproven and not stamped. */
  failed: boolean;
}

/**
 * Reads every target's history from its version table (never from the index), hands each one to
 * `each`, and proves each index against them on the way. The histories are read a batch at a time
 * (forEachHistoryBatch) and dropped after their batch: at 100,000 tenants verify holds one batch of
 * histories, never the fleet's. The rows of a batch that differ are repaired with that batch; the
 * rows no target owns are removed, and the index stamped, once every batch was read.
 */
export async function proveIndex(
  runtime: FleetRuntime,
  targets: readonly Target[],
  complete: boolean,
  each: ProvenTarget,
  /** Targets per batch (forEachHistoryBatch's default: every session of the run busy with one slice). */
  batchSize?: number,
): Promise<IndexProof> {
  const { groups } = groupByIndex(targets);
  const proof: IndexProof = { databases: 0, built: [], builtRows: 0, repaired: { added: 0, corrected: 0, removed: 0 }, repairs: [], unproven: [], stamped: true };
  const limit = pLimit(runtime.concurrency);
  const o = runtime.options;
  // Rows of no listed target are removed (and the index stamped) only when every target was listed: a failed discovery never empties the index.
  const whole = complete && !o.tenants?.length && !o.targets?.length && (!o.slice || o.slice.count === 1);
  // The indexes first, then the version tables: a row a migrate writes in between is newer than what was read, and a repair leaves it alone.
  const proving = new Map<IndexGroup, GroupProof>();
  const groupOf = new Map<Target, IndexGroup>();
  await Promise.all(
    groups.map((g) =>
      limit(async () => {
        if (runtime.missingDatabases.has(g.spec.database)) return;
        try {
          const read = await (
            await runtime.connections.pool(g.spec)
          ).withSession(async (session) => {
            const found = await readFleetIndex(session, g.schema);
            if (found) return { rows: found.rows, built: false };
            await ensureFleetIndex(session, g.schema);
            return { rows: new Map<string, IndexRow>(), built: true };
          });
          proving.set(g, { ...read, complete: whole, failed: false });
          for (const t of g.targets) groupOf.set(t, g);
        } catch (err) {
          proof.unproven.push({ index: g.label, reason: errorToJSON(err).message as string });
        }
      }),
    ),
  );
  const apply = async (g: IndexGroup, p: GroupProof, repairs: ReturnType<typeof planRepairs>, stamp: boolean) => {
    if (p.failed) return;
    try {
      await (await runtime.connections.pool(g.spec)).withSession((session) => applyRepairs(session, g.schema, repairs, APPLIED_BY, stamp));
    } catch (err) {
      p.failed = true;
      proof.unproven.push({ index: g.label, reason: errorToJSON(err).message as string });
      return;
    }
    if (p.built) return void (proof.builtRows += repairs.length);
    for (const r of repairs) {
      proof.repaired[r.change]++;
      if (proof.repairs.length < REPAIRS_LISTED) proof.repairs.push({ target: r.target, change: r.change, was: r.was, now: r.now });
    }
  };
  await forEachHistoryBatch(
    runtime,
    targets,
    async (batch, histories) => {
      const truths = new Map<IndexGroup, IndexTruth[]>();
      for (const t of batch) {
        const h = histories.get(t.id)!;
        each(t, h);
        const g = groupOf.get(t);
        if (!g) continue;
        if (h.error) {
          proving.get(g)!.complete = false;
          continue;
        }
        let list = truths.get(g);
        if (!list) truths.set(g, (list = []));
        // A note means no version table of Fleet's (a database not created yet, TypeORM's history previewed): no row.
        list.push({ target: t.id, schema: t.info.schema, versionTable: t.versionTable, row: h.note === null ? indexRowOf(t.info.schema, t.versionTable, h.records) : null });
      }
      await Promise.all(
        [...truths].map(([g, list]) =>
          limit(async () => {
            const p = proving.get(g)!;
            const repairs = planRepairs(p.rows, list, false);
            for (const t of list) p.rows.delete(indexKey(t.schema, t.versionTable));
            if (repairs.length) await apply(g, p, repairs, false);
          }),
        ),
      );
    },
    batchSize,
  );
  await Promise.all(
    [...proving].map(([g, p]) =>
      limit(async () => {
        // The rows left belong to no target read: removed when the run listed every target of the database.
        await apply(g, p, planRepairs(p.rows, [], p.complete), p.complete);
        p.rows.clear();
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
