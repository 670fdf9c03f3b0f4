/**
 * Reports say what is true of every target, attempted or not: a target a run did not attempt
 * (--fail-fast, a failed global track, an interruption) shows its real version, and an
 * interrupted run lists every target it knew of, the tenants of a phase it never reached too.
 */
import { migrate } from '../src/commands/run-commands';
import { runFleet as runCli, tenantFleetConfig, useFixture, waitForBackend } from '../src/testing';
import type { TargetResult } from '../src/executor/result';

describe('reports of targets not attempted', () => {
  const fx = useFixture('truth');

  /** A fleet at CreateItems1000 everywhere: the global track and tenants a, b, c. */
  async function migratedFleet(): Promise<void> {
    fx.project.writeConfig(tenantFleetConfig({}, { discover: { list: ['a', 'b', 'c'] }, registry: undefined }));
    fx.project.writeMigration('global', { name: 'Init1000', up: ['CREATE TABLE settings (id int)'] });
    fx.project.writeMigration('tenant', { name: 'CreateItems1000', up: ['CREATE TABLE items (id int)'] });
    expect((await migrate(fx.options())).ok).toBe(true);
  }

  const byTarget = (results: TargetResult[]) => Object.fromEntries(results.map((r) => [r.target, [r.outcome, r.versionBefore, r.versionAfter]]));

  it('--fail-fast: the tenants after the failure are not run, at their real version', async () => {
    await migratedFleet();
    fx.project.writeMigration('tenant', { name: 'Break2000', up: [`DO $$ BEGIN IF current_schema() = 'tenant_a' THEN RAISE EXCEPTION 'boom'; END IF; END $$`] });
    const report = await migrate(fx.options({ failFast: true, concurrency: 1 }));
    expect(byTarget(report.results)).toEqual({
      'fx/main': ['unchanged', 'Init1000', 'Init1000'],
      'fx/main/a': ['failed', 'CreateItems1000', 'CreateItems1000'],
      'fx/main/b': ['not-run', 'CreateItems1000', 'CreateItems1000'],
      'fx/main/c': ['not-run', 'CreateItems1000', 'CreateItems1000'],
    });
  });

  it('a failed global track: its tenants are not run, at their real version (text and JSON alike)', async () => {
    await migratedFleet();
    fx.project.writeMigration('global', { name: 'Break2000', up: [`SELECT 1/0`] });
    fx.project.writeMigration('tenant', { name: 'More2000', up: ['CREATE TABLE more (id int)'] });
    const report = await migrate(fx.options());
    expect(byTarget(report.results)).toMatchObject({
      'fx/main/a': ['not-run', 'CreateItems1000', 'CreateItems1000'],
      'fx/main/b': ['not-run', 'CreateItems1000', 'CreateItems1000'],
      'fx/main/c': ['not-run', 'CreateItems1000', 'CreateItems1000'],
    });
    const text = await runCli(['migrate', '--config', fx.project.path('fleet.config.ts')], { ...fx.env, CI: 'true' });
    expect(text.stdout).toMatch(/NOT RUN\s+fx\/main\/a\s+at CreateItems1000/);
    expect(text.stdout).not.toContain('at (none)');
  });

  it('interrupted in the global phase: the tenants it never reached are listed, not run, at their real version', async () => {
    await migratedFleet();
    fx.project.writeMigration('global', { name: 'Slow2000', up: [`SELECT pg_sleep(CASE WHEN current_database() = '${fx.db}' THEN 30 ELSE 0 END)`] });
    const controller = new AbortController();
    const running = migrate(fx.options({ signal: controller.signal, journalDir: fx.project.path('runs') }));
    await waitForBackend(fx.db, 'pg_sleep(CASE', 20_000);
    controller.abort('SIGINT');
    const report = await running;
    expect(report.interrupted).toBe('SIGINT');
    expect(byTarget(report.results)).toEqual({
      'fx/main': ['failed', 'Init1000', 'Init1000'],
      'fx/main/a': ['not-run', 'CreateItems1000', 'CreateItems1000'],
      'fx/main/b': ['not-run', 'CreateItems1000', 'CreateItems1000'],
      'fx/main/c': ['not-run', 'CreateItems1000', 'CreateItems1000'],
    });
  });
});
