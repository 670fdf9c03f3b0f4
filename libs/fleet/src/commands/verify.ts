import pLimit from 'p-limit';
import { databaseKey } from '../db/connection-spec';
import { invalidIndexes } from '../executor/index-repair';
import type { Target } from '../targets/target';
import { CommonOptions, FleetRuntime, withRuntime } from './runtime';
import { spareTargets } from './spare-pool';
import { failedStatus, fleetTargetStatus, SharedComparisons, StatusState, TargetStatus, targetStatus } from './status';
import { IndexProof, proveIndex } from './verify-index';

export interface VerifyReport {
  command: 'verify';
  app: string;
  /** True when every target is at the head of its track. */
  ok: boolean;
  targets: number;
  atHead: number;
  /** Head migration per database and track, e.g. { "app1/users (tenant)": "CreateProjects..." }. */
  heads: Record<string, string | null>;
  /** Schemas or databases shaped like a tenant's that no registered tenant owns (they fail verify). */
  orphans: Array<{ database: string; name: string }>;
  stragglers: Array<{ target: string; state: StatusState; version: string | null; head: string | null; pending: string[]; problem: string | null; kind?: 'spare' }>;
  /** The fleet index proven against every version table: built, repaired (which rows, what they said), stamped. */
  index: IndexProof;
  /** The tenant pools' spares: how many, how many ready at head (a ready spare behind head is a straggler: `migrate` catches it up). */
  spares?: { total: number; atHead: number };
  /**
   * INVALID indexes in the targets' schemas (pg_index.indisvalid = false, no build in progress):
   * left by a failed CREATE/REINDEX INDEX CONCURRENTLY. They fail verify: never used by queries,
   * still written on every insert, and the next try of their migration fails on their name.
   */
  invalidIndexes: Array<{ target: string; schema: string; index: string; table: string }>;
}

/**
 * Proves the fleet converged: every target at the same head as the rest of its track, read from
 * every version table (never from the index); and proves the fleet index against them, repairing
 * the rows that differ and stamping it verified. Streamed: each batch of histories is compared,
 * counted and dropped, and only what the report lists (the stragglers) is kept.
 */
export function verify(options: CommonOptions): Promise<VerifyReport> {
  return withRuntime(options, { createDatabases: false }, async (runtime) => {
    const tenants = await runtime.tenantTargets();
    const globals = runtime.globalTargets();
    const spares = await spareTargets(runtime);
    const spareOf = new Map(spares.map((s) => [s.target, s]));
    const same: SharedComparisons = new WeakMap();
    const heads: Record<string, string | null> = {};
    // Slices are proven in any order: stragglers are listed in the targets' order (their position).
    const stragglers: Array<VerifyReport['stragglers'][number] & { position: number }> = [];
    const spareStragglers: typeof stragglers = [];
    let count = 0;
    let atHead = 0;
    let sparesAtHead = 0;
    const tally = (st: TargetStatus, position: number) => {
      count++;
      if (st.head !== null || st.tenant === null) heads[`${st.app}/${st.database} (${st.tenant === null ? 'global' : 'tenant'})`] ??= st.head;
      if (st.state === 'at-head') return void atHead++;
      const problem = st.error ? String(st.error.message) : (st.findings.find((f) => f.severity === 'error')?.message ?? (st.state === 'missing' ? st.note : null));
      stragglers.push({ target: st.target, state: st.state, version: st.version, head: st.head, pending: st.pending, problem, position });
    };
    const index = await proveIndex(runtime, [...globals, ...tenants.targets, ...spares.map((s) => s.target)], tenants.results.length === 0, (t, history, position) => {
      const spare = spareOf.get(t);
      if (!spare) return tally(fleetTargetStatus(t, history, same, tenants.missing), position);
      const sp = targetStatus(t, history, same);
      if (sp.state === 'at-head') sparesAtHead++;
      // A ready spare must be at head (a take refuses it otherwise); one still being filled is not checked.
      if (!spare.ready || sp.state === 'at-head') return;
      const problem = sp.error
        ? String(sp.error.message)
        : (sp.findings.find((f) => f.severity === 'error')?.message ?? 'a spare of the tenant pool behind head: migrate brings it to head');
      spareStragglers.push({ target: sp.target, state: sp.state, version: sp.version, head: sp.head, pending: sp.pending, problem, kind: 'spare', position });
    });
    // Tenants discovery could not list (an invalid id, a failed discovery) come after the targets, as in status.
    const listed = globals.length + tenants.targets.length;
    tenants.results.forEach((r, i) => tally(failedStatus(r), listed + i));
    // The spares after them (a spare's position is after every target's).
    for (const s of spareStragglers) stragglers.push({ ...s, position: s.position + tenants.results.length });
    stragglers.sort((a, b) => a.position - b.position);
    // The targets discovery listed (spares are not checked, as before): discovering again cost a second set of 10,000 targets at 10k tenants.
    const invalid = await invalidIndexesOf(runtime, [...globals, ...tenants.targets]);
    return {
      command: 'verify',
      app: runtime.config.app,
      ok: stragglers.length === 0 && tenants.orphans.length === 0 && invalid.length === 0,
      targets: count,
      atHead,
      heads,
      orphans: tenants.orphans,
      stragglers: stragglers.map(({ position: _position, ...s }) => s),
      index,
      ...(spares.length ? { spares: { total: spares.length, atHead: sparesAtHead } } : {}),
      invalidIndexes: invalid,
    };
  });
}

/** One catalog query per database: the INVALID indexes in its targets' schemas, by target. */
async function invalidIndexesOf(runtime: FleetRuntime, targets: readonly Target[]): Promise<VerifyReport['invalidIndexes']> {
  const byDatabase = new Map<string, Target[]>();
  for (const t of targets) {
    // Pushed, never copied: a copy per target allocated 956 MB at 10k tenants (quadratic).
    const k = databaseKey(t.connection);
    const group = byDatabase.get(k);
    if (group) group.push(t);
    else byDatabase.set(k, [t]);
  }
  const found: VerifyReport['invalidIndexes'] = [];
  const limit = pLimit(runtime.concurrency);
  await Promise.all(
    [...byDatabase.values()].map((group) =>
      limit(async () => {
        if (runtime.missingDatabases.has(group[0].connection.database)) return;
        const bySchema = new Map(group.map((t) => [t.info.schema, t.id]));
        const pool = await runtime.connections.pool(group[0].connection).catch(() => null);
        if (!pool) return;
        // A database that cannot be read is already a straggler (status says why).
        const rows = await pool.withSession((session) => invalidIndexes(session, [...bySchema.keys()])).catch(() => []);
        for (const r of rows) found.push({ target: bySchema.get(r.schema)!, schema: r.schema, index: r.index, table: r.table });
      }),
    ),
  );
  return found.sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : a.index < b.index ? -1 : 1));
}
