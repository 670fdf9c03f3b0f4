/** Where an app's queue lives, and the names of a queued run. */
import { ConfigError } from '../errors';
import type { FleetRuntime } from '../commands/runtime';
import type { QueueLocation } from './fleet-queue';

export const DEFAULT_QUEUE_SCHEMA = 'fleet_queue';

/** Where the app's queue lives: the config's `queue` (a database key and a schema), by default its first database. */
export function queueLocation(runtime: FleetRuntime): QueueLocation {
  const wanted = runtime.config.queue?.database;
  const d = wanted ? runtime.databases.find((x) => x.db.key === wanted) : runtime.databases[0];
  if (!d) throw new ConfigError(`queue.database "${wanted}" is not a database of app ${runtime.config.app} (databases: ${runtime.databases.map((x) => x.db.key).join(', ')}).`);
  return { spec: d.spec, schema: runtime.config.queue?.schema ?? DEFAULT_QUEUE_SCHEMA };
}

export function newRunId(app: string): string {
  return `${app}-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
}
