/**
 * Onboarding from the pool (createTenant's fast path) and the refill after a take. The take is
 * one transaction (tenancy/spare-pool.ts); the refill runs on its own runtime after createTenant
 * returned, one target at a time (one connection of the budget), at most one per pool per process.
 */
import { findConfigFile, loadConfig } from '../config/load-config';
import { emptyResult, RunReport, summarize } from '../executor/result';
import { errorToJSON } from '../errors';
import { recordInLedger } from '../tenancy/presence';
import { takeSpare } from '../tenancy/spare-pool';
import { prepareMigrate } from './lint';
import type { CommonOptions } from './options';
import type { FleetRuntime, ResolvedDatabase } from './runtime';
import { withRuntime } from './runtime';
import { keepPool, PoolReport, spareSessions } from './spare-pool';

export interface PoolTake {
  spare: string;
  /** The tenant track's migrations the spare applied (what the tenant has, as after a full track). */
  applied: string[];
  report: RunReport;
}

/**
 * Turns a ready spare into the tenant, or says why onboarding takes the full track instead (an
 * empty pool, a spare behind the code, a conditional migration this tenant decides otherwise,
 * a tenant that exists already).
 */
export async function takeFromPool(
  runtime: FleetRuntime,
  d: ResolvedDatabase,
  id: string,
  attributes: Record<string, string | number | boolean | null>,
): Promise<PoolTake | { fallback: string }> {
  const startedAt = new Date();
  const tenants = d.db.tenants!;
  const target = runtime.tenantTarget(d, { id, attributes }, { createDatabases: true });
  const home = await runtime.connections.pool(d.spec);
  const global = d.globalTemplate;
  const location = runtime.tenantLocation(d, id);
  const outcome = await home.withSession((session) =>
    takeSpare(session, {
      kind: d.strategy!.spares,
      sessions: spareSessions(runtime, d),
      globalSchema: d.db.schema,
      versionTable: tenants.versionTable,
      indexSchema: target.indexSchema ?? d.db.schema,
      global: { schema: global.info.schema, versionTable: global.versionTable, migrations: global.migrations },
      place: d.strategy!.locationName(location),
      tenantSchema: target.info.schema,
      migrations: d.tenantMigrations!,
      info: target.info,
      registry: tenants.registry!,
      id,
      attributes,
    }),
  );
  if (!('taken' in outcome)) return outcome;
  // As after a full track: the ledger knows the tenant exists (a later loss is `missing`, not new).
  await home
    .withSession((session) => recordInLedger(session, d.db.schema, [id], () => d.strategy!.locationName(location)))
    .catch((err) => runtime.emit({ type: 'notice', message: `warning: could not update the tenant ledger (${errorToJSON(err).message})` }));
  const result = emptyResult(target);
  result.outcome = 'changed';
  result.applied = outcome.applied;
  result.versionAfter = result.applied.at(-1) ?? null;
  result.durationMs = Date.now() - startedAt.getTime();
  const results = [result];
  const report: RunReport = { command: 'tenant create', ok: true, startedAt: startedAt.toISOString(), durationMs: result.durationMs, summary: summarize(results), results };
  return { spare: outcome.taken, applied: result.applied, report };
}

/** What a refill after a take came to: the pass, its error, or nothing here (`fleet worker` refills this pool). */
export type RefillOutcome = PoolReport | { error: Record<string, unknown> } | { deferred: 'worker' };

/** Refills running in this process, one per pool (config file + database); a request during one runs it once more. */
const refills = new Map<string, { again: boolean; done: Promise<RefillOutcome> }>();

/** True when the config leaves this database's refills to `fleet worker` (tenants.pool.refill: 'worker'). */
function refilledByWorkers(options: CommonOptions, database: string): boolean {
  const root = options.workspaceRoot ?? process.cwd();
  // The module loader's cache makes this a look-up after the take loaded the same config.
  const config = typeof options.config === 'object' ? options.config : loadConfig(findConfigFile(root, options.app, options.config), root);
  return config.databases.find((d) => d.key === database)?.tenants?.pool.refill === 'worker';
}

/**
 * Refills the pool of `database` on a runtime of its own (concurrency 1: one connection of the
 * budget), after the caller's runtime closed. Never rejects: a failure is a notice (`onEvent`) and
 * the resolved value; the pool then waits for the next refill or `migrate`. With
 * `tenants.pool.refill: 'worker'` the app does nothing: `fleet worker` refills (queue/pool-keeper.ts).
 */
export function refillPool(options: CommonOptions, database: string): Promise<RefillOutcome> {
  try {
    if (refilledByWorkers(options, database)) return Promise.resolve({ deferred: 'worker' });
  } catch {
    // The config loaded for the take cannot fail now; if it does, the refill below says why.
  }
  const key = `${typeof options.config === 'string' ? options.config : (options.app ?? '')}\u0000${database}`;
  const running = refills.get(key);
  if (running) {
    running.again = true;
    return running.done;
  }
  const entry: { again: boolean; done: Promise<RefillOutcome> } = { again: false, done: Promise.resolve({ error: {} }) };
  const once = () =>
    withRuntime({ ...options, concurrency: 1, databases: [database] }, { createDatabases: false }, async (runtime) => {
      const d = runtime.databases.find((x) => x.db.key === database)!;
      const refuseByTrack = await prepareMigrate(runtime);
      return keepPool(runtime, d, { kind: 'migrate', ensureHistory: true, refuseByTrack }, 'new');
    });
  entry.done = (async () => {
    try {
      let report: PoolReport;
      do {
        entry.again = false;
        report = await once();
      } while (entry.again);
      return report;
    } catch (err) {
      const error = errorToJSON(err);
      options.onEvent?.({ type: 'notice', message: `warning: refilling the tenant pool of ${database} failed (${String(error.message)}); the next refill or migrate tries again` });
      return { error };
    } finally {
      refills.delete(key);
    }
  })();
  refills.set(key, entry);
  return entry.done;
}
