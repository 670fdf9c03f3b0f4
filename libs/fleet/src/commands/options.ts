/**
 * The options every command takes, and their validation: once, for the CLI, the Nx executors
 * and the API. Defaults are documented where they are declared.
 */
import type { ConnectionManagerOptions } from '../db/connection-manager';
import type { LoadedConfig } from '../config/load-config';
import { ConfigError } from '../errors';
import type { EventListener } from '../events';

/** Options every command takes. Defaults are documented here, where they are applied. */
export interface CommonOptions {
  /**
   * Queue mode (set by `fleet worker`): each server's connection budget is shared by every
   * worker of the app's queue instead of being this process's own.
   */
  sharedBudget?: ConnectionManagerOptions['sharedBudget'];
  /** application_name of Fleet's sessions, `{app}` standing for the app (default `fleet:{app}`; a queue coordinator's are `fleet:{app}:coordinator`). */
  applicationName?: string;
  /** App name: its config is `apps/<app>/fleet.config.ts`. */
  app?: string;
  /** Path to a fleet.config.ts (instead of --app), or an already loaded config. */
  config?: string | LoadedConfig;
  /** Workspace root (default: process.cwd()). */
  workspaceRoot?: string;
  /** Only these database keys of the app (default: all). */
  databases?: string[];
  /** Only these tenants (default: all). `migrate` still brings the global tracks to head first; `revert` and `stamp` touch only the tenants. */
  tenants?: string[];
  /** Only these targets, by id (`app1/users/acme`, `app1/users`): the exact selection hints print. */
  targets?: string[];
  /**
   * `revert` and `stamp` on a database with a tenant track act on that track only, unless this
   * names the global track (`global`). `migrate --track global` runs only the global tracks.
   */
  track?: 'global' | 'tenant';
  /**
   * Only slice `index` of `count` of the targets (1-based), split by a stable hash of the target
   * id: CI jobs or machines sharing one fleet. (A "shard" is a database of a sharded app.)
   */
  slice?: { index: number; count: number };
  /** Targets worked on at once (default 4). */
  concurrency?: number;
  /** Most open connections per server (default: half of what the server has free, at most 10). */
  maxConnections?: number;
  /** TCP connect timeout in ms (default 10000). */
  connectTimeoutMs?: number;
  /** Overrides every database's lockWaitMs. */
  lockWaitMs?: number;
  /** Environment to resolve connections from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Receives the engine's events (progress, notices). */
  onEvent?: EventListener;
  /**
   * Stops the run cleanly when it fires (the CLI and Nx executors wire Ctrl-C and SIGTERM to it):
   * no new target starts, statements in flight are cancelled and rolled back, every target is
   * reported, the journal says `interrupted`.
   */
  signal?: AbortSignal;
  /** How often the run's heartbeat looks at the targets in flight (ms, default 5000). */
  heartbeatMs?: number;
  /** Cut a connection whose server side has waited for Fleet this long (a stalled network; ms, default 30000). */
  stallTimeoutMs?: number;
  /**
   * migrate: re-create, empty, the schema or database of a registered tenant that was migrated
   * before and is gone (default false: such a tenant is reported `missing` and left alone).
   */
  createMissing?: boolean;
}

export const DEFAULT_CONCURRENCY = 4;

/**
 * Checks the selection options once, for the CLI, Nx and the API: a list option that is given
 * but empty (`--tenant "$TENANTS"` with the variable unset) is an error, never "everything";
 * repeated values count once.
 */
export function normalizeSelection<T extends CommonOptions>(options: T): T {
  const list = (flag: string, values: string[] | undefined): string[] | undefined => {
    if (values === undefined) return undefined;
    if (!Array.isArray(values)) throw new ConfigError(`${flag} must be a list.`);
    const clean = [...new Set(values.map((v) => String(v).trim()).filter(Boolean))];
    if (clean.length === 0) {
      throw new ConfigError(`${flag} is empty (an unset shell variable?). Name at least one, or leave ${flag} out to mean all.`, { option: flag });
    }
    return clean;
  };
  if (options.track !== undefined && options.track !== 'global' && options.track !== 'tenant') {
    throw new ConfigError(`--track must be "global" or "tenant", got ${JSON.stringify(options.track)}.`);
  }
  if (options.concurrency !== undefined && (!Number.isInteger(options.concurrency) || options.concurrency < 1)) {
    throw new ConfigError(`--concurrency must be a whole number >= 1, got ${options.concurrency}`);
  }
  if (options.maxConnections !== undefined && (!Number.isInteger(options.maxConnections) || options.maxConnections < 1)) {
    throw new ConfigError(`--max-connections must be a whole number >= 1, got ${options.maxConnections}`);
  }
  const slice = options.slice;
  if (slice && !(Number.isInteger(slice.index) && Number.isInteger(slice.count) && slice.index >= 1 && slice.index <= slice.count)) {
    throw new ConfigError(`--slice must be i/n with 1 <= i <= n, got ${slice.index}/${slice.count}`);
  }
  return { ...options, tenants: list('--tenant', options.tenants), databases: list('--database', options.databases), targets: list('--only', options.targets) };
}
