/** app2 migrates its analytics database through Nx, isolated from app1. */
import { runNx } from '../../../tools/nx-plugin/test/run-nx';
import { databaseUrl, dropDatabase, query, uniqueName } from '../../../libs/fleet/test/pg';

describe('nx run app2:migrate', () => {
  const analytics = uniqueName('fleet_t_app2_analytics');
  afterAll(() => dropDatabase(analytics));

  it('migrates the analytics database and nothing of app1', async () => {
    const run = await runNx(['run', 'app2:migrate'], { APP2_ANALYTICS_DATABASE_URL: databaseUrl(analytics) });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/ok\s+app2\/analytics/);
    expect(run.stdout).not.toContain('app1/');
    const tables = await query<{ t: string }>(analytics, `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`);
    expect(tables.map((r) => r.t)).toEqual(['fleet_migrations', 'page_views', 'users']);
  }, 120_000);
});
