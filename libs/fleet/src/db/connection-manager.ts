import { ConnectionSpec, databaseKey, serverKey } from './connection-spec';
import { DatabasePool } from './database-pool';
import { ConnectionBudget, Semaphore } from './semaphore';
import { ClientSettings, defaultBudget, ensureDatabase, identifyServer, probeServer, ServerFacts } from './server';

export interface ConnectionManagerOptions extends ClientSettings {
  /** Most open connections per server; default: half of what the server has free, at most 10. */
  maxConnectionsPerServer?: number;
  /** Fan-out width: also the most connections one database's pool opens. */
  concurrency: number;
  idleTimeoutMs?: number;
  /**
   * Queue mode: each server's budget is shared by every worker (queue/slot-budget.ts) instead of
   * being this process's own; the server is then not probed for it. `server` is the server's
   * identity (db/server-identity.ts), the same in every process whatever the URL's spelling.
   */
  sharedBudget?: (server: string, spec: ConnectionSpec) => ConnectionBudget;
}

interface ServerEntry {
  /** The server's identity (db/server-identity.ts): what the budget is keyed on. */
  id: string;
  semaphore: ConnectionBudget;
  facts?: ServerFacts;
}

/**
 * Owns every connection of one Fleet run: a budget per server and a pool per database.
 * A server is what the server says it is, not how its address is spelled: `localhost`,
 * `127.0.0.1`, a socket directory, the port spelled or not share one budget. `close()` ends them all.
 */
export class ConnectionManager {
  /** Per spelling (host:port): its server, asked once per run. */
  private readonly spellings = new Map<string, Promise<ServerEntry>>();
  /** Per server identity: its budget. */
  private readonly servers = new Map<string, ServerEntry>();
  private readonly pools = new Map<string, DatabasePool>();

  constructor(readonly options: ConnectionManagerOptions) {}

  /** The server's budget (probing the server once: reachability, identity and max_connections). */
  async serverBudget(spec: ConnectionSpec): Promise<ConnectionBudget> {
    return (await this.server(spec)).semaphore;
  }

  /** Which server `spec` reaches: the key of its budget and of its queue slots. */
  async serverId(spec: ConnectionSpec): Promise<string> {
    return (await this.server(spec)).id;
  }

  private server(spec: ConnectionSpec): Promise<ServerEntry> {
    const spelled = serverKey(spec);
    let entry = this.spellings.get(spelled);
    if (!entry) {
      const shared = this.options.sharedBudget;
      entry = (async () => {
        // One short connection before the budget is known, outside it, named for what it is.
        const probe = { ...this.options, applicationName: `${this.options.applicationName}:probe` };
        // Queue mode: the budget is the queue's slots, not probed here; only the identity is read.
        const facts = shared ? undefined : await probeServer(spec, probe);
        const id = facts ? facts.identity : await identifyServer(spec, probe);
        let known = this.servers.get(id);
        if (!known) {
          known = { id, facts, semaphore: shared ? shared(id, spec) : new Semaphore(this.options.maxConnectionsPerServer ?? defaultBudget(facts!)) };
          this.servers.set(id, known);
        }
        return known;
      })();
      this.spellings.set(spelled, entry);
      entry.catch(() => this.spellings.delete(spelled));
    }
    return entry;
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

  /**
   * Closes one database's pool (its targets are done, or the database is to be renamed or
   * dropped), freeing budget for other databases; the backend pids its connections had.
   */
  async release(spec: ConnectionSpec): Promise<number[]> {
    const key = databaseKey(spec);
    const pool = this.pools.get(key);
    this.pools.delete(key);
    return (await pool?.close()) ?? [];
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }
}
