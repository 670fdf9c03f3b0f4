/**
 * `fleet worker` keeping tenant pools full (`tenants.pool.refill: 'worker'`). In queue mode the app
 * does not migrate: after `createTenant()` took a spare, a worker makes the next one. Every few
 * seconds a worker counts each such pool's spares and, when one is missing or not ready, runs a
 * refill pass (commands/spare-pool.ts, `keepPool` over the new spares) on its own runtime, whose
 * connections take the queue's server slots like any job's: the pool is filled under the budget
 * every worker shares. Several workers may look at once: new spares are reserved under the pool's
 * lock (never more than `size`), and a spare another worker is migrating is skipped after a short
 * lock wait. Spares are made with this worker's migrations: start workers from the deployed code.
 * A server no coordinator ever declared slots for (no queued run yet) gets the budget a coordinator
 * would declare (`--max-connections`, else half the server's free connections, at most 10); one a
 * coordinator declared keeps its budget.
 */
import { errorToJSON } from '../errors';
import { prepareMigrate } from '../commands/lint';
import type { FleetRuntime } from '../commands/runtime';
import { keepPool, pooledDatabases } from '../commands/spare-pool';
import type { ConnectionSpec } from '../db/connection-spec';
import { defaultBudget, probeServer } from '../db/server';
import { readSpareRows } from '../tenancy/spare-pool';
import type { FleetQueue } from './fleet-queue';

export interface PoolKeeper {
  /** Spares this worker made. */
  readonly made: () => number;
  /** Stops looking; resolves once a pass under way ended. */
  stop(): Promise<void>;
}

/** How often a worker looks at its pools (a take is refilled within this, plus the pass itself). */
export const POOL_CHECK_MS = 2_000;

/** Slots for the server of `spec` when none were ever declared (the budget a coordinator would declare). */
async function ensureSlots(runtime: FleetRuntime, queue: FleetQueue, spec: ConnectionSpec): Promise<void> {
  const server = await runtime.connections.serverId(spec);
  if ((await queue.slots.capacity(queue.name, server)) > 0) return;
  const settings = { applicationName: `${runtime.settings.applicationName}:probe`, connectTimeoutMs: runtime.settings.connectTimeoutMs };
  await queue.slots.declare(queue.name, server, runtime.options.maxConnections ?? defaultBudget(await probeServer(spec, settings)));
}

export function keepPoolsFull(runtime: FleetRuntime, queue: FleetQueue, log: (line: string) => void, signal: AbortSignal, everyMs = POOL_CHECK_MS): PoolKeeper {
  const databases = pooledDatabases(runtime).filter((d) => d.db.tenants!.pool.refill === 'worker');
  let made = 0;
  if (databases.length === 0) return { made: () => made, stop: async () => undefined };
  // The tenant lint runs once per worker, and only when a pool needs a spare (its code does not change while it runs).
  let refuseByTrack: Promise<Map<string, Map<string, string>>> | undefined;
  const slotted = new Set<string>();
  const pass = async () => {
    for (const d of databases) {
      if (signal.aborted) return;
      if (!slotted.has(d.db.key)) {
        await ensureSlots(runtime, queue, d.spec);
        slotted.add(d.db.key);
      }
      const home = await runtime.connections.pool(d.spec);
      const rows = await home.withSession((s) => readSpareRows(s, d.db.schema));
      if (rows.length >= d.db.tenants!.pool.size && rows.every((r) => r.ready)) continue;
      refuseByTrack ??= prepareMigrate(runtime);
      const report = await keepPool(runtime, d, { kind: 'migrate', ensureHistory: true, refuseByTrack: await refuseByTrack }, 'new');
      made += report.created.length;
      const dropped = report.discarded.length ? `; ${report.discarded.length} dropped (${report.discarded.map((x) => `${x.spare}: ${x.reason}`).join('; ')})` : '';
      log(`pool      ${report.app}/${report.database}: ${report.ready} of ${report.size} spare(s) ready; ${report.created.length} made${dropped}`);
    }
  };
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running || signal.aborted) return;
    running = pass()
      .catch((err) => {
        refuseByTrack = undefined; // a lint that failed (a scratch database refused...) is tried again
        log(`pool      refill failed (${errorToJSON(err).message}); tried again in ${everyMs / 1000} s`);
      })
      .finally(() => (running = undefined));
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return {
    made: () => made,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
