import { Client, ClientConfig, PoolClient } from 'pg';
import { DataSource, QueryRunner } from 'typeorm';
import { ConnectionSpec } from './connection-spec';
import { createBoundQueryRunner } from './schema-binding';
import type { ConnectionBudget } from './semaphore';
import { postgresDataSource } from './data-source';
import { ClientSettings, waitingForSlots } from './server';
import { TargetSession } from './session';

export interface DatabasePoolOptions extends ClientSettings {
  /** Shared by every pool on the same server: counts OPEN connections, not tasks. */
  serverBudget: ConnectionBudget;
  /** Most connections this pool opens (it also waits for the server budget). */
  maxConnections: number;
  /** Idle connections close after this long, returning their budget to other databases. */
  idleTimeoutMs: number;
}

/**
 * One TypeORM DataSource per database, its pg pool sized to the fan-out, reused by every target
 * of that database (tenant schemas share connections; nothing is built per tenant).
 */
/**
 * Tables a connection may serve (targets run, version tables read) before the pool closes it and
 * opens a fresh one. PostgreSQL never evicts a session's relation and catalog cache entries: a
 * session that read 2000 version tables held 16 KB more per table, one that touched 100 tenants of
 * the bench workload 86 KB more per tenant (BENCHMARKS.md, "PostgreSQL's own limits"). Unbounded,
 * one session sweeping 100,000 tenants would hold gigabytes on the server; the reconnect costs a
 * few milliseconds per 1000 tenants.
 */
export const CONNECTION_RETIRE_AFTER = 1000;

/** What each pooled connection has served so far (see CONNECTION_RETIRE_AFTER). */
const served = new WeakMap<object, number>();

export class DatabasePool {
  private dataSource?: Promise<DataSource>;
  /** The pool's open connections (close() reports their backends). */
  private readonly open = new Set<Client>();

  constructor(
    readonly spec: ConnectionSpec,
    private readonly options: DatabasePoolOptions,
  ) {}

  /**
   * Checks a connection out, runs fn on it, and returns it clean (RESET ALL) or destroys it.
   * `schema`: the session's QueryRunner resolves the Table API's bare names in this schema, as if
   * the DataSource had been built for it (see schema-binding.ts); default: the server's choice.
   */
  async withSession<T>(fn: (session: TargetSession) => Promise<T>, schema?: string): Promise<T> {
    const dataSource = await this.initialized();
    let queryRunner!: QueryRunner;
    const client = await waitingForSlots(this.spec, this.options.connectTimeoutMs, async () => {
      queryRunner = schema === undefined ? dataSource.createQueryRunner() : createBoundQueryRunner(dataSource, schema);
      try {
        return (await queryRunner.connect()) as PoolClient;
      } catch (cause) {
        await queryRunner.release().catch(() => undefined);
        throw cause;
      }
    });
    let broken: Error | undefined;
    const session = new TargetSession(queryRunner, client);
    try {
      return await fn(session);
    } finally {
      broken = session.brokenBy;
      try {
        if (queryRunner.isTransactionActive) await queryRunner.rollbackTransaction();
        // Nothing a target set (search_path, timeouts) may leak to the next target; its lock goes in the same round trip.
        // Null: it went out with the target's last COMMIT already (TargetSession.closing).
        const cleanup = session.cleanupSql();
        if (cleanup !== null) await client.query(cleanup);
      } catch (err) {
        broken = err as Error;
      }
      const uses = (served.get(client) ?? 0) + session.served;
      served.set(client, uses);
      // A connection that could not be cleaned is destroyed, never returned to the pool; so is one
      // that has served its share (its server-side caches only grow).
      const retired = uses >= CONNECTION_RETIRE_AFTER ? new Error(`connection retired after serving ${uses} tables`) : undefined;
      await (queryRunner as unknown as { releasePostgresConnection(err?: Error): Promise<void> }).releasePostgresConnection(broken ?? retired);
    }
  }

  private initialized(): Promise<DataSource> {
    if (!this.dataSource) {
      this.dataSource = this.createDataSource();
      this.dataSource.catch(() => (this.dataSource = undefined));
    }
    return this.dataSource;
  }

  private async createDataSource(): Promise<DataSource> {
    const BudgetedClient = budgetedClientClass(this.options.serverBudget, this.options.connectTimeoutMs, this.open);
    const dataSource = postgresDataSource(this.spec, {
      applicationName: this.options.applicationName,
      connectTimeoutMs: this.options.connectTimeoutMs,
      poolSize: this.options.maxConnections,
      extra: {
        Client: BudgetedClient,
        // A dead peer is noticed by TCP keepalive; a frozen link by the run's watchdog.
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
        idleTimeoutMillis: this.options.idleTimeoutMs,
        // The pool's own wait would include the budget wait; the client bounds the TCP connect instead.
        connectionTimeoutMillis: 0,
      },
    });
    await waitingForSlots(this.spec, this.options.connectTimeoutMs, () => dataSource.initialize());
    return dataSource;
  }

  /**
   * Closes the pool's connections; the backend pids they had. A backend leaves pg_stat_activity a
   * moment after its client hung up (longer on a loaded server): a caller that needs the database
   * unused (a rename) waits for these, and only these.
   */
  async close(): Promise<number[]> {
    const pending = this.dataSource;
    this.dataSource = undefined;
    if (!pending) return [];
    const dataSource = await pending.catch(() => undefined);
    const pids = [...this.open].map((c) => (c as unknown as { processID?: number | null }).processID).filter((pid): pid is number => typeof pid === 'number');
    if (dataSource?.isInitialized) await dataSource.destroy();
    return pids;
  }
}

/**
 * A pg Client that takes a permit from the server budget before it opens its socket and gives it
 * back when the connection ends, whatever ends it. This bounds OPEN connections per server, even
 * across the pools of several databases.
 */
function budgetedClientClass(budget: ConnectionBudget, connectTimeoutMs: number, open: Set<Client>): typeof Client {
  return class BudgetedClient extends Client {
    constructor(config: ClientConfig) {
      // pg-pool keeps the password as a non-enumerable property: copy it explicitly.
      super({ ...config, password: config.password, connectionTimeoutMillis: connectTimeoutMs });
    }

    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    override connect(callback?: (...args: any[]) => void): any {
      const run = async () => {
        await budget.acquire();
        let released = false;
        const release = () => {
          if (!released) {
            released = true;
            budget.release();
            open.delete(this);
          }
        };
        this.once('end', release);
        open.add(this);
        try {
          await super.connect();
        } catch (err) {
          release();
          throw err;
        }
      };
      if (callback) {
        run().then(
          () => callback(null, this),
          (err) => callback(err, this),
        );
        return undefined;
      }
      return run().then(() => this);
    }
  } as unknown as typeof Client;
}
