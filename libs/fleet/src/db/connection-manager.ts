import { ConnectionSpec, databaseKey, serverKey } from './connection-spec';
import { DatabasePool } from './database-pool';
import { ConnectionBudget, Semaphore } from './semaphore';
import { ClientSettings, defaultBudget, ensureDatabase, probeServer, ServerFacts } from './server';

export interface ConnectionManagerOptions extends ClientSettings {
  /** Most open connections per server; default: half of what the server has free, at most 10. */
  maxConnectionsPerServer?: number;
  /** Fan-out width: also the most connections one database's pool opens. */
  concurrency: number;
  idleTimeoutMs?: number;
  /**
   * Queue mode: each server's budget is shared by every worker (queue/slot-budget.ts) instead of
   * being this process's own; the server is then not probed for it.
   */
  sharedBudget?: (server: string, spec: ConnectionSpec) => ConnectionBudget;
}

interface ServerEntry {
  budget: Promise<{ semaphore: ConnectionBudget; facts?: ServerFacts }>;
}

/**
 * Owns every connection of one Fleet run: a budget per server and a pool per database.
 * `close()` ends them all.
 */
export class ConnectionManager {
  private readonly servers = new Map<string, ServerEntry>();
  private readonly pools = new Map<string, DatabasePool>();

  constructor(readonly options: ConnectionManagerOptions) {}

  /** The server's budget (probing the server once: reachability and max_connections). */
  async serverBudget(spec: ConnectionSpec): Promise<ConnectionBudget> {
    return (await this.server(spec)).semaphore;
  }

  private server(spec: ConnectionSpec): Promise<{ semaphore: ConnectionBudget; facts?: ServerFacts }> {
    const key = serverKey(spec);
    let entry = this.servers.get(key);
    if (!entry) {
      const shared = this.options.sharedBudget;
      const budget = shared
        ? Promise.resolve({ semaphore: shared(key, spec) })
        : probeServer(spec, this.options).then((facts) => ({
            facts,
            semaphore: new Semaphore(this.options.maxConnectionsPerServer ?? defaultBudget(facts)),
          }));
      entry = { budget };
      this.servers.set(key, entry);
      budget.catch(() => this.servers.delete(key));
    }
    return entry.budget;
  }

  async pool(spec: ConnectionSpec): Promise<DatabasePool> {
    const key = databaseKey(spec);
    let pool = this.pools.get(key);
    if (!pool) {
      const { semaphore } = await this.server(spec);
      pool = this.pools.get(key);
      if (!pool) {
        pool = new DatabasePool(spec, {
          ...this.options,
          serverBudget: semaphore,
          maxConnections: Math.max(1, Math.min(this.options.concurrency, semaphore.capacity)),
          idleTimeoutMs: this.options.idleTimeoutMs ?? 1000,
        });
        this.pools.set(key, pool);
      }
    }
    return pool;
  }

  /**
   * Creates a database if missing, on a short-lived maintenance connection that counts against
   * the server budget like every other connection.
   */
  async ensureDatabase(spec: ConnectionSpec, maintenanceDatabase: string): Promise<boolean> {
    const budget = await this.serverBudget(spec);
    await budget.acquire();
    try {
      return await ensureDatabase(spec, this.options, maintenanceDatabase);
    } finally {
      budget.release();
    }
  }

  /** Closes one database's pool (its targets are done), freeing budget for other databases. */
  async release(spec: ConnectionSpec): Promise<void> {
    const key = databaseKey(spec);
    const pool = this.pools.get(key);
    this.pools.delete(key);
    await pool?.close();
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }
}
