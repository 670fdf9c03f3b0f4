/**
 * `verify` proves the fleet index: per database, the index is read (built if missing), then every
 * version table, then each row that differs is repaired and the verification stamped (when the
 * run covered every target of that database). A version table changed behind Fleet's back shows
 * up here, by target, in text and JSON.
 */
import pLimit from 'p-limit';
import { errorToJSON } from '../errors';
import { APPLIED_BY } from '../executor/run-target';
import { ensureFleetIndex, IndexRow, indexRowOf, readFleetIndex } from '../storage/fleet-index';
import { applyRepairs, IndexRepair, IndexTruth, planRepairs } from '../storage/index-repair';
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
 * Reads every target's history from its version table (as status did before the index) and
 * proves each index against it on the way.
 */
export async function readAndProve(
  runtime: FleetRuntime,
  targets: readonly Target[],
  complete = true,
): Promise<{ histories: Map<string, TargetHistory>; statements: number; proof: IndexProof }> {
  const { groups } = groupByIndex(targets);
  const proof: IndexProof = { databases: 0, built: [], builtRows: 0, repaired: { added: 0, corrected: 0, removed: 0 }, repairs: [], unproven: [], stamped: true };
  const limit = pLimit(runtime.concurrency);
  // The indexes first, then the version tables: a row a migrate writes in between is newer than what was read, and a repair leaves it alone.
  const before = new Map<IndexGroup, { rows: Map<string, IndexRow>; built: boolean } | null>();
  await Promise.all(
    groups.map((g) =>
      limit(async () => {
        if (runtime.missingDatabases.has(g.spec.database)) return void before.set(g, null);
        try {
          before.set(
            g,
            await (
              await runtime.connections.pool(g.spec)
            ).withSession(async (session) => {
              const found = await readFleetIndex(session, g.schema);
              if (found) return { rows: found.rows, built: false };
              await ensureFleetIndex(session, g.schema);
              return { rows: new Map<string, IndexRow>(), built: true };
            }),
          );
        } catch (err) {
          before.set(g, null);
          proof.unproven.push({ index: g.label, reason: errorToJSON(err).message as string });
        }
      }),
    ),
  );
  const read = await readTargetHistories(runtime, targets);
  const o = runtime.options;
  // Rows of no listed target are removed (and the index stamped) only when every target was listed: a failed discovery never empties the index.
  const whole = complete && !o.tenants?.length && !o.targets?.length && (!o.slice || o.slice.count === 1);
  await Promise.all(
    groups.map((g) =>
      limit(async () => {
        const indexed = before.get(g);
        if (!indexed) return;
        const truths: IndexTruth[] = [];
        let complete = whole;
        for (const t of g.targets) {
          const h = read.histories.get(t.id);
          if (!h || h.error) {
            complete = false;
            continue;
          }
          // A note means no version table of Fleet's (a database not created yet, TypeORM's history previewed): no row.
          truths.push({ target: t.id, schema: t.info.schema, versionTable: t.versionTable, row: h.note === null ? indexRowOf(t.info.schema, t.versionTable, h.records) : null });
        }
        const repairs = planRepairs(indexed.rows, truths, complete);
        try {
          await (await runtime.connections.pool(g.spec)).withSession((session) => applyRepairs(session, g.schema, repairs, APPLIED_BY, complete));
        } catch (err) {
          proof.unproven.push({ index: g.label, reason: errorToJSON(err).message as string });
          proof.stamped = false;
          return;
        }
        proof.databases++;
        if (!complete) proof.stamped = false;
        if (indexed.built) {
          proof.built.push(g.label);
          proof.builtRows += repairs.length;
          return;
        }
        for (const r of repairs) {
          proof.repaired[r.change]++;
          if (proof.repairs.length < REPAIRS_LISTED) proof.repairs.push({ target: r.target, change: r.change, was: r.was, now: r.now });
        }
      }),
    ),
  );
  if (proof.unproven.length) proof.stamped = false;
  proof.built.sort();
  return { histories: read.histories, statements: read.statements, proof };
}
