/**
 * A coordinator and its workers start together and each installs the queue's own tables (runs,
 * refusals, slots): the processes race on CREATE TABLE IF NOT EXISTS, and the loser's "type ...
 * already exists" (42710), "relation already exists" (42P07) or pg_type unique violation (23505)
 * must read as "it is there", never fail the run.
 */
import { createDatabase, dropDatabase, query, testServer } from '@fleet/core/testing';
import { queuePool } from '../src/queue/sql-client';
import { RunRegistry } from '../src/queue/run-registry';
import { ServerSlots } from '../src/queue/server-slots';

describe('queue tables installed by processes racing', () => {
  let database: string;
  beforeAll(async () => {
    database = await createDatabase('fleet_t_qinstall');
  });
  afterAll(async () => {
    await dropDatabase(database);
  });

  it('twelve clients installing at once all succeed, and the tables are there once', async () => {
    for (let round = 0; round < 5; round++) {
      const schema = `fleet_queue_${round}`;
      await query(database, `CREATE SCHEMA ${schema}`);
      const clients = Array.from({ length: 12 }, () => queuePool({ ...testServer(), database } as never, 1));
      try {
        const results = await Promise.allSettled(
          clients.map(async (sql, i) => (i % 2 ? new RunRegistry(sql, schema, 'fleet.x').install() : new ServerSlots(sql, schema, `t${i}`).install())),
        );
        expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      } finally {
        await Promise.all(clients.map((c) => c.close()));
      }
      const tables = await query(database, `SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, [schema]);
      expect(tables.map((t) => t.tablename)).toEqual(['fleet_run_refusals', 'fleet_runs', 'fleet_slots']);
    }
  });
});
