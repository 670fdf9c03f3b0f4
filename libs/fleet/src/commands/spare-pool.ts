/**
 * The pool of spare tenants at run level (tenancy/spare-pool.ts holds its SQL): the spares as
 * targets, keeping them at head (`migrate`), refilling (after a take, in the background of the
 * app, or by `migrate`), and the status of each spare. Spares are targets, never tenants: they run
 * through the same executor with the tenant track, in their own pass, and are reported apart.
 */
import type { TargetCommand } from '../executor/execute-plan';
import type { TargetResult } from '../executor/result';
import { runFleet } from '../executor/run-fleet';
import { healthGateOptions } from '../executor/health-gate';
import { errorToJSON } from '../errors';
import type { EventListener } from '../events';
import type { Target } from '../targets/target';
import { discardSpare, markReady, readSpareRows, reserveSpares } from '../tenancy/spare-pool';
import type { FleetRuntime, ResolvedDatabase } from './runtime';
import { makeTarget } from './targets';
import { withDatabase } from '../db/connection-spec';
import { withClient } from '../db/server';
import type { SqlSession } from '../db/session';
import type { SpareSessions } from '../tenancy/spare-kinds';

/** What one pass over a database's pool did. */
export interface PoolReport {
  app: string;
  database: string;
  size: number;
  /** Spares ready at head after the pass. */
  ready: number;
  /** Existing spares the pass migrated (a deploy added migrations while they waited). */
  migrated: string[];
  /** Spares created by this pass. */
  created: string[];
  /** Spares dropped: a migration failed on them (they are replaced), or the pool shrank. */
  discarded: Array<{ spare: string; reason: string }>;
}

/** The databases whose tenant track keeps a pool. */
export function pooledDatabases(runtime: FleetRuntime): ResolvedDatabase[] {
  return runtime.databases.filter((d) => d.db.tenants && d.tenantMigrations && d.db.tenants.pool.size > 0 && d.strategy);
}

/**
 * The sessions a take or a discard may need besides the home database's: short-lived ones on a
 * spare or tenant database and on the maintenance database (the home server's), and closing the
 * runtime's pool of a spare database (a rename or a drop needs it unused).
 */
export function spareSessions(runtime: FleetRuntime, d: ResolvedDatabase): SpareSessions {
  const on = <T>(database: string, fn: (session: SqlSession) => Promise<T>) =>
    withClient(withDatabase(d.spec, database), runtime.settings, (client) => fn({ query: async (sql, params) => (await client.query(sql, params as unknown[])).rows }));
  return {
    database: d.spec.database,
    onDatabase: on,
    onMaintenance: (fn) => on(d.maintenanceDatabase, fn),
    release: (database) => runtime.connections.release(withDatabase(d.spec, database)),
  };
}

/**
 * A spare as a target: the tenant track on its own schema or database, as a tenant without
 * attributes. `create`: a spare just reserved (its database may be made); an existing one whose
 * database is gone was taken meanwhile or never made: it fails, and its row is dropped.
 */
export function spareTarget(runtime: FleetRuntime, d: ResolvedDatabase, name: string, create = false): Target {
  const tenants = d.db.tenants!;
  const location = d.strategy!.spares.location({ spec: d.spec, maintenanceDatabase: d.maintenanceDatabase, createDatabase: create && tenants.createDatabase }, name);
  const target = makeTarget(
    runtime.config,
    d.db,
    {
      connection: location.connection,
      schema: location.schema,
      sharedSearchPath: d.sharedSchemas,
      extensions: d.extensions.tenant,
      createDatabase: location.createDatabase,
      versionTable: tenants.versionTable,
      // Its fleet index row is where a tenant's is (the take moves it with the schema, or it goes with the database).
      indexSchema: d.strategy!.indexSchema(d.db.schema, location),
      migrations: d.tenantMigrations!,
      tenant: name,
      attributes: {},
    },
    runtime.options,
  );
  // A busy spare is skipped by a take and caught up by the next pass: never wait long for one.
  return { ...target, spare: true, settings: { ...target.settings, lockWaitMs: Math.min(target.settings.lockWaitMs, 1_000) } };
}

/**
 * Keeps a database's pool: every spare to head (`all`: also those already ready; a refill after a
 * take only makes new ones), a spare that fails a migration dropped and replaced, then new spares
 * until there are `size`. Runs under the runtime's concurrency and connection budget.
 */
export async function keepPool(runtime: FleetRuntime, d: ResolvedDatabase, command: TargetCommand, scope: 'all' | 'new'): Promise<PoolReport> {
  const size = d.db.tenants!.pool.size;
  const schema = d.db.schema;
  const home = await runtime.connections.pool(d.spec);
  const report: PoolReport = { app: runtime.config.app, database: d.db.key, size, ready: 0, migrated: [], created: [], discarded: [] };
  const rows = await home.withSession((s) => readSpareRows(s, schema));
  // The pool shrank: the newest surplus go (only while their row exists: a taken spare is a tenant).
  for (const row of rows.slice(size).reverse()) {
    if (await home.withSession((s) => discardSpare(s, d.strategy!.spares, spareSessions(runtime, d), schema, row.name, d.db.tenants!.versionTable)))
      report.discarded.push({ spare: row.name, reason: `the pool's size is ${size}` });
  }
  const kept = rows.slice(0, size).filter((r) => scope === 'all' || !r.ready);
  if (kept.length) {
    const results = await runSpares(
      runtime,
      kept.map((r) => spareTarget(runtime, d, r.name)),
      command,
      d,
    );
    await settle(runtime, d, results, report, (r) => report.migrated.push(...(r.applied.length ? [spareOf(r)] : [])));
  }
  // Replace what was discarded, fill up to size; a spare that fails is dropped, not retried here.
  const names = await home.withSession((s) => reserveSpares(s, d.spec.database, schema, size));
  if (names.length) {
    const results = await runSpares(
      runtime,
      names.map((n) => spareTarget(runtime, d, n, true)),
      command,
      d,
    );
    await settle(runtime, d, results, report, (r) => report.created.push(spareOf(r)));
  }
  report.ready = (await home.withSession((s) => readSpareRows(s, schema))).filter((r) => r.ready).length;
  return report;
}

async function runSpares(runtime: FleetRuntime, targets: Target[], command: TargetCommand, d: ResolvedDatabase): Promise<TargetResult[]> {
  const report = await runFleet('pool', [targets], command, {
    concurrency: runtime.concurrency,
    connections: runtime.connections,
    emit: poolEvents(runtime.emit),
    signal: runtime.signal,
    watchdog: runtime.watchdog,
    // Spares are filled at the pace a migrate would go: they wait while their server is unhealthy.
    health: healthGateOptions(runtime.config.health, runtime.settings.applicationName),
    // Spare schemas share the home database's pool (kept); a spare database's pool is closed once it is done, else its rename fails (55006).
    keepConnections: !d.strategy!.databasePerTenant,
  });
  return report.results;
}

/** A pass over spares is not a run of its own for the reporters: only its notices go through. */
function poolEvents(emit: EventListener): EventListener {
  return (event) => {
    if (event.type === 'notice') emit(event);
  };
}

/** A spare's name: its target's tenant (spareTarget), its schema or its database. */
const spareOf = (r: TargetResult): string => r.tenant ?? r.schema;

async function settle(runtime: FleetRuntime, d: ResolvedDatabase, results: TargetResult[], report: PoolReport, ok: (r: TargetResult) => void): Promise<void> {
  const home = await runtime.connections.pool(d.spec);
  const good = results.filter((r) => r.outcome === 'changed' || r.outcome === 'unchanged');
  await home.withSession((s) => markReady(s, d.db.schema, good.map(spareOf)));
  good.forEach(ok);
  for (const r of results.filter((x) => !good.includes(x))) {
    const reason = r.failed
      ? `${r.failed.migration ?? 'the spare'} failed: ${String(r.failed.error.message ?? '')}`
      : (r.findings.find((f) => f.severity === 'error')?.message ?? r.outcome);
    // A spare that is busy elsewhere (its lock taken) is left as it is; any other failure drops it.
    if (r.failed?.error.code === 'LOCK_TIMEOUT') continue;
    try {
      const spare = spareOf(r);
      if (await home.withSession((s) => discardSpare(s, d.strategy!.spares, spareSessions(runtime, d), d.db.schema, spare, d.db.tenants!.versionTable)))
        report.discarded.push({ spare, reason });
    } catch (err) {
      runtime.emit({ type: 'notice', message: `warning: could not drop the failed spare ${spareOf(r)}: ${errorToJSON(err).message}` });
    }
  }
}

/** Each database's pool after a migrate: spares brought to head, failed ones replaced, refilled. */
export async function keepPools(runtime: FleetRuntime, command: TargetCommand, include: (d: ResolvedDatabase) => boolean = () => true): Promise<PoolReport[]> {
  const out: PoolReport[] = [];
  for (const d of pooledDatabases(runtime).filter(include)) {
    const report = await keepPool(runtime, d, command, 'all');
    out.push(report);
    const changes = [
      report.migrated.length ? `${report.migrated.length} brought to head` : '',
      report.created.length ? `${report.created.length} made` : '',
      report.discarded.length ? `${report.discarded.length} dropped (${report.discarded.map((x) => `${x.spare}: ${x.reason}`).join('; ')})` : '',
    ].filter(Boolean);
    runtime.emit({
      type: 'notice',
      message: `pool ${report.app}/${report.database}: ${report.ready} of ${report.size} spare(s) ready${changes.length ? `; ${changes.join(', ')}` : ''}`,
    });
  }
  return out;
}

/** The spares of every pooled database, as targets, with whether each is ready. */
export async function spareTargets(runtime: FleetRuntime): Promise<Array<{ target: Target; ready: boolean }>> {
  const out: Array<{ target: Target; ready: boolean }> = [];
  for (const d of pooledDatabases(runtime)) {
    if (runtime.missingDatabases.has(d.spec.database)) continue;
    const rows = await (await runtime.connections.pool(d.spec)).withSession((s) => readSpareRows(s, d.db.schema));
    for (const r of rows) out.push({ target: spareTarget(runtime, d, r.name), ready: r.ready });
  }
  return out;
}
