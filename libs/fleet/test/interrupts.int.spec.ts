/**
 * Ctrl-C and SIGTERM stop a run cleanly: no new target starts, the statements in flight are
 * cancelled and rolled back, locks are released, every target is reported, the journal says
 * `interrupted`, and the exit code says which signal.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { databaseUrl, query, tenantFleetConfig, useFixture, waitForBackend, WORKSPACE_ROOT } from '../src/testing';

const FLEET_BIN = join(WORKSPACE_ROOT, 'libs', 'fleet', 'bin', 'fleet.js');

describe('interrupts', () => {
  const fx = useFixture('interrupt');

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s mid-run: in-flight statements cancelled and rolled back, nothing new starts, every target reported, journal interrupted (exit %i)',
    async (signal, exitCode) => {
      const env = { FX_MAIN_URL: databaseUrl(fx.db) };
      fx.project.writeConfig(tenantFleetConfig({}, { discover: { list: ['a', 'b', 'c', 'd', 'e', 'f'] }, registry: undefined }));
      fx.project.writeMigration('global', { name: 'Init1000', up: ['SELECT 1'] });
      // A long backfill on a real tenant (instant on the tenant lint's empty scratch tenant).
      fx.project.writeMigration('tenant', {
        name: 'Backfill1000',
        up: ['CREATE TABLE items (id int)', "SELECT pg_sleep(CASE WHEN current_schema() = 'tenant_scratch' THEN 0 ELSE 30 END)"],
      });
      const journalDir = fx.project.path('runs');
      const child = spawn(process.execPath, [FLEET_BIN, 'migrate', '--config', fx.project.path('fleet.config.ts'), '--concurrency', '2', '--json'], {
        cwd: WORKSPACE_ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', FLEET_JOURNAL_DIR: journalDir, ...env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      await waitForBackend(fx.db, 'pg_sleep(CASE', 20_000);
      const sentAt = Date.now();
      child.kill(signal);
      const code = await closed;
      expect(Date.now() - sentAt).toBeLessThan(10_000); // not the 30 s of the statement
      expect(code).toBe(exitCode);
      expect(stderr).toContain(`fleet: ${signal}: stopping`);
      const report = JSON.parse(stdout);
      expect(report.interrupted).toBe(signal);
      expect(report.results).toHaveLength(7);
      const tenants = report.results.filter((r: { tenant: string | null }) => r.tenant);
      expect(tenants.every((r: { outcome: string; failed: { error: { code: string } } }) => r.outcome !== 'changed' && r.failed?.error.code === 'INTERRUPTED')).toBe(true);
      // The in-flight statements are gone, their transactions rolled back, no advisory lock held.
      expect(
        await query('postgres', `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%pg_sleep(CASE%' AND pid <> pg_backend_pid()`, [fx.db]),
      ).toEqual([{ n: 0 }]);
      // Locks end with their sessions; a backend whose client just closed may take a moment to go.
      expect(
        await eventually(
          async () =>
            (
              await query<{ n: number }>(
                fx.db,
                `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
              )
            )[0].n,
          0,
        ),
      ).toBe(0);
      expect(await query(fx.db, `SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'items'`)).toEqual([{ n: 0 }]);
      const journal = JSON.parse(readFileSync(join(journalDir, 'latest-fx.json'), 'utf8'));
      expect(journal).toMatchObject({ state: 'interrupted', summary: { targets: 7 } });
      expect(journal.results).toHaveLength(7);
    },
    60_000,
  );
});

/** Polls `read` until it returns `want` (or 3 s pass), and returns the last value. */
async function eventually<T>(read: () => Promise<T>, want: T): Promise<T> {
  const deadline = Date.now() + 3_000;
  let value = await read();
  while (value !== want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    value = await read();
  }
  return value;
}
