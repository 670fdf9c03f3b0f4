/** app2 migrates its sharded analytics database through Nx, isolated from app1. */
import { runNx } from '../../../tools/nx-plugin/test/run-nx';
import { databaseUrl, dropDatabase, query, uniqueName } from '@fleet/core/testing';

describe('nx run app2:migrate', () => {
  const analytics = uniqueName('fleet_t_app2_analytics');
  const shards = [`${analytics}_shard_0`, `${analytics}_shard_1`];
  afterAll(async () => {
    for (const s of shards) await dropDatabase(s);
  });

  it('migrates every analytics shard and nothing of app1', async () => {
    const run = await runNx(['run', 'app2:migrate'], { APP2_ANALYTICS_DATABASE_URL: databaseUrl(analytics) });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`ok\\s+app2/analytics/${shards[0]}`));
    expect(run.stdout).toMatch(new RegExp(`ok\\s+app2/analytics/${shards[1]}`));
    expect(run.stdout).not.toContain('app1/');
    for (const shard of shards) {
      const tables = await query<{ t: string }>(shard, `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`);
      // Each shard keeps its own fleet index (storage/fleet-index.ts) beside its version table.
      expect(tables.map((r) => r.t)).toEqual(['fleet_index', 'fleet_index_meta', 'fleet_migrations', 'page_views', 'users']);
    }
  }, 120_000);
});
