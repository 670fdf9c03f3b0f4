/** Connection reuse across targets: one pool per database, nothing a target set leaks to the next. */
import { DatabasePool } from '../src/db/database-pool';
import { Semaphore } from '../src/db/semaphore';
import { createDatabase, dropDatabase, testServer } from '../src/testing';

describe('DatabasePool', () => {
  let db: string;
  beforeAll(async () => {
    db = await createDatabase('fleet_t_pool');
  });
  afterAll(() => dropDatabase(db));

  it('reuses one connection for consecutive targets and returns it with its settings reset', async () => {
    const budget = new Semaphore(1);
    const pool = new DatabasePool(
      { ...testServer(), database: db },
      { applicationName: 'fleet:pool-test', connectTimeoutMs: 5000, serverBudget: budget, maxConnections: 1, idleTimeoutMs: 10_000 },
    );
    try {
      const first = await pool.withSession(async (s) => {
        await s.query(`SELECT set_config('search_path', '"tenant_a"', false), set_config('statement_timeout', '1234ms', false)`);
        return { pid: s.processId, path: (await s.query('SHOW search_path'))[0] };
      });
      expect(first.path).toEqual({ search_path: '"tenant_a"' });
      const second = await pool.withSession(async (s) => ({
        pid: s.processId,
        path: (await s.query<{ search_path: string }>('SHOW search_path'))[0].search_path,
        timeout: (await s.query<{ statement_timeout: string }>('SHOW statement_timeout'))[0].statement_timeout,
      }));
      expect(second.pid).toBe(first.pid); // the same connection, reused
      expect(second.path).toBe('"$user", public');
      expect(second.timeout).toBe('0');
      expect(budget.highWaterMark).toBe(1);
      // close() names the backends it closed (a spare's rename waits for these to leave pg_stat_activity).
      expect(await pool.close()).toEqual([first.pid]);
      expect(await pool.close()).toEqual([]);
    } finally {
      await pool.close();
    }
    // Closing the pool gives the connection back to the server budget once its socket has closed.
    for (let i = 0; i < 100 && budget.held > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(budget.held).toBe(0);
  });

  it('destroys a connection whose transaction could not be cleaned up instead of reusing it', async () => {
    const budget = new Semaphore(2);
    const pool = new DatabasePool(
      { ...testServer(), database: db },
      { applicationName: 'fleet:pool-test', connectTimeoutMs: 5000, serverBudget: budget, maxConnections: 1, idleTimeoutMs: 10_000 },
    );
    try {
      let firstPid: number | undefined;
      await expect(
        pool.withSession(async (s) => {
          firstPid = s.processId;
          // Kill our own backend from another session: the connection is dead when we release it.
          const { withAdmin } = await import('../src/testing');
          await withAdmin((c) => c.query('SELECT pg_terminate_backend($1)', [firstPid]));
          await s.query('SELECT 1');
        }),
      ).rejects.toThrow();
      const pid = await pool.withSession(async (s) => {
        await s.query('SELECT 1');
        return s.processId;
      });
      expect(pid).not.toBe(firstPid);
    } finally {
      await pool.close();
    }
  });
});
