/**
 * Scratch runs: a track's migrations run on a throwaway database of the app's server, by the same
 * engine as `migrate` (runFleet: the same runner, schema binding, search_path, extensions), so
 * what passes here passes there. The tenant lint, the cadence check and `migration --generate`
 * use it; the scratch database is always dropped.
 */
import { randomBytes } from 'node:crypto';
import type { ConnectionSpec } from '../db/connection-spec';
import { withDatabase } from '../db/connection-spec';
import { withClient } from '../db/server';
import type { RunReport } from '../executor/result';
import { runFleet } from '../executor/run-fleet';
import { quoteIdent } from '../identifiers';
import type { Target } from '../targets/target';
import type { FleetRuntime, ResolvedDatabase } from './runtime';

export type Track = 'global' | 'tenant';

/** Creates an empty database next to `d`'s, runs fn, then drops it (and its pool) whatever happens. */
export async function withScratchDatabase<T>(runtime: FleetRuntime, d: ResolvedDatabase, fn: (scratch: ConnectionSpec) => Promise<T>): Promise<T> {
  // The name says when it was made (seconds, base 36): a run killed outright leaves its scratch
  // database behind, and a later run drops those older than an hour that nobody is connected to.
  const scratch = withDatabase(d.spec, `fleet_scratch_${Math.floor(Date.now() / 1000).toString(36)}_${randomBytes(6).toString('hex')}`);
  const admin = withDatabase(d.spec, d.maintenanceDatabase);
  await withClient(admin, runtime.settings, async (c) => {
    await dropAbandonedScratch(c);
    await c.query(`CREATE DATABASE ${quoteIdent(scratch.database)}`);
  });
  try {
    return await fn(scratch);
  } finally {
    await runtime.connections.release(scratch);
    await withClient(admin, runtime.settings, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(scratch.database)} WITH (FORCE)`));
  }
}

/** Drops the scratch databases of runs that died more than an hour ago (never one in use: no FORCE). */
async function dropAbandonedScratch(c: { query(sql: string): Promise<{ rows: Array<Record<string, unknown>> }> }): Promise<void> {
  const { rows } = await c.query(`SELECT datname FROM pg_catalog.pg_database WHERE datname ~ '^fleet_scratch_[0-9a-z]+_[0-9a-f]{12}$'`);
  const hourAgo = Date.now() / 1000 - 3600;
  for (const { datname } of rows as Array<{ datname: string }>) {
    if (parseInt(datname.split('_')[2], 36) > hourAgo) continue;
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)}`).catch(() => undefined); // in use, or not ours to drop: left alone
  }
}

export interface ScratchRun {
  /** The target the track ran on (its schema is where a tenant's objects belong). */
  target: Target;
  report: RunReport;
  /** Every SQL text each migration of the track sent, in order. */
  issued: Map<string, string[]>;
}

/**
 * Runs `track` of `d` from nothing to head on `scratch`, as a new tenant (or the global track)
 * would get it. A tenant schema shares its database with the global track, so that runs first; a
 * tenant database does not, so it runs alone.
 */
export async function runTrackOnScratch(
  runtime: FleetRuntime,
  d: ResolvedDatabase,
  track: Track,
  scratch: ConnectionSpec,
  /** Called as each SQL text is sent, by any target of the run (the risky-SQL lint reads the call's stack here). */
  observe?: (target: Target, migration: string, sql: string) => void,
): Promise<ScratchRun> {
  const onScratch = (t: Target): Target => ({ ...t, id: `${t.id} (scratch)`, connection: scratch, adoptTypeormTable: null, createDatabase: null });
  const global = onScratch(d.globalTemplate);
  const target = track === 'tenant' ? onScratch(runtime.tenantTarget(d, { id: 'scratch' }, { createDatabases: false })) : global;
  const phases = track === 'tenant' && !d.strategy!.databasePerTenant ? [[global], [target]] : [[target]];
  const issued = new Map<string, string[]>();
  const report = await runFleet(
    'scratch',
    phases,
    { kind: 'migrate', ensureHistory: true },
    {
      concurrency: 1,
      connections: runtime.connections,
      emit: () => undefined, // a scratch run is an implementation detail of its command: no progress of its own
      signal: runtime.signal,
      onSql: (t, migration, sql) => {
        observe?.(t, migration, sql);
        if (t.id !== target.id) return;
        if (!issued.has(migration)) issued.set(migration, []);
        issued.get(migration)!.push(sql);
      },
    },
  );
  return { target, report, issued };
}
