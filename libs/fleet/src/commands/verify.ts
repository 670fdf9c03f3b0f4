import pLimit from 'p-limit';
import { databaseKey } from '../db/connection-spec';
import { invalidIndexes } from '../executor/index-repair';
import type { Target } from '../targets/target';
import type { StatusState } from './status';
import { CommonOptions, FleetRuntime, withRuntime } from './runtime';
import { fleetStatus } from './status';
import { IndexProof, readAndProve } from './verify-index';

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
 * the rows that differ and stamping it verified.
 */
export function verify(options: CommonOptions): Promise<VerifyReport> {
  return withRuntime(options, { createDatabases: false }, async (runtime) => {
    let index: IndexProof | undefined;
    // The targets status discovered, kept for the INVALID-index check: discovering again cost a
    // second set of 10,000 targets at 10k tenants. Spares are not checked there (as before).
    let checked: Target[] = [];
    const st = await fleetStatus(runtime, async (r, targets, complete) => {
      checked = targets.filter((t) => !t.spare);
      const read = await readAndProve(r, targets, complete);
      index = read.proof;
      return read;
    });
    const heads: Record<string, string | null> = {};
    for (const t of st.targets) if (t.head !== null || t.tenant === null) heads[`${t.app}/${t.database} (${t.tenant === null ? 'global' : 'tenant'})`] ??= t.head;
    const stragglers: VerifyReport['stragglers'] = st.targets
      .filter((t) => t.state !== 'at-head')
      .map((t) => ({
        target: t.target,
        state: t.state,
        version: t.version,
        head: t.head,
        pending: t.pending,
        problem: t.error ? String(t.error.message) : (t.findings.find((f) => f.severity === 'error')?.message ?? (t.state === 'missing' ? t.note : null)),
      }));
    // A ready spare must be at head (a take refuses it otherwise); one still being filled is not checked.
    for (const sp of st.spares ?? []) {
      if (!sp.ready || sp.state === 'at-head') continue;
      const problem = sp.error
        ? String(sp.error.message)
        : (sp.findings.find((f) => f.severity === 'error')?.message ?? 'a spare of the tenant pool behind head: migrate brings it to head');
      stragglers.push({ target: sp.target, state: sp.state, version: sp.version, head: sp.head, pending: sp.pending, problem, kind: 'spare' });
    }
    const invalid = await invalidIndexesOf(runtime, checked);
    checked = [];
    return {
      command: 'verify',
      app: st.app,
      ok: stragglers.length === 0 && st.orphans.length === 0 && invalid.length === 0,
      targets: st.targets.length,
      atHead: st.targets.filter((t) => t.state === 'at-head').length,
      heads,
      orphans: st.orphans,
      stragglers,
      index: index!,
      ...(st.spares ? { spares: { total: st.spares.length, atHead: st.spares.filter((sp) => sp.state === 'at-head').length } } : {}),
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
