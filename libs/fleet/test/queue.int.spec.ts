/**
 * Queue mode: `migrate --queue` plans and queues one job per target; `fleet worker` processes run
 * them with the same engine. The budget holds across workers; a worker killed mid-target loses
 * nothing and applies nothing twice; the coordinator's report and journal are a local run's.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { LINT_ALLOW, query, runFleet, samplePeakConnections, tenantFleetConfig, useFixture, WORKSPACE_ROOT } from '../src/testing';

const FLEET_BIN = join(WORKSPACE_ROOT, 'libs', 'fleet', 'bin', 'fleet.js');

interface Worker {
  child: ChildProcess;
  /** What it printed on stderr so far (one line per job). */
  log(): string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function startWorker(args: string[], env: NodeJS.ProcessEnv): Worker {
  const child = spawn(process.execPath, [FLEET_BIN, 'worker', ...args], { cwd: WORKSPACE_ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr: stripVTControlCharacters(stderr) })),
  );
  return { child, done, log: () => stripVTControlCharacters(stderr) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('queue mode', () => {
  const fx = useFixture('queue');
  const workers: Worker[] = [];
  afterEach(async () => {
    for (const w of workers.splice(0)) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  });

  function setup(tenants: number, tenantUp: string[], members?: string): Promise<void> {
    fx.project.writeConfig(tenantFleetConfig({ lockWaitMs: 5000 }));
    fx.project.writeMigration('global', {
      name: 'CreateTenants1000',
      up: ['CREATE TABLE tenants (id text PRIMARY KEY)', 'CREATE TABLE side_effects (tenant text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())'],
    });
    fx.project.writeMigration('tenant', { name: 'CreateProjects1000', up: tenantUp, members });
    return (async () => {
      const first = await runFleet(['migrate', '--config', fx.project.path('fleet.config.ts'), '--track', 'global'], fx.env);
      expect(first.code).toBe(0);
      await query(fx.db, `INSERT INTO tenants (id) SELECT 't' || lpad(i::text, 3, '0') FROM generate_series(1, ${tenants}) AS i`);
    })();
  }

  it('workers share the run: every target at head, the budget held across workers, the report and run status from the queue', async () => {
    await setup(24, ['CREATE TABLE projects (id serial PRIMARY KEY)', 'SELECT pg_sleep(0.05)']);
    const config = fx.project.path('fleet.config.ts');
    workers.push(startWorker(['--config', config, '--until-empty', '--concurrency', '3', '--json'], fx.env));
    workers.push(startWorker(['--config', config, '--until-empty', '--concurrency', '3', '--json'], fx.env));
    const sampler = samplePeakConnections(fx.db, 'fleet:fx');
    const run = await runFleet(['migrate', '--config', config, '--queue', '--max-connections', '2', '--json'], fx.env, 120_000);
    const peak = await sampler.stop();
    expect(run.stderr).toContain('Queued run fx-');
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.summary).toMatchObject({ targets: 25, changed: 24, unchanged: 1, failed: 0 });
    expect(doc.queue.run).toMatch(/^fx-/);
    expect(existsSync(doc.journal)).toBe(true);
    // Two workers at 3 jobs each, one budget of 2 connections to the server for all of them.
    expect(peak).toBeGreaterThanOrEqual(1);
    expect(peak).toBeLessThanOrEqual(2);
    const [a, b] = await Promise.all(workers.map((w) => w.done));
    expect([a.code, b.code]).toEqual([0, 0]);
    const jobs = [JSON.parse(a.stdout).jobs, JSON.parse(b.stdout).jobs];
    expect(jobs[0] + jobs[1]).toBe(25);

    const status = await runFleet(['status', '--config', config, '--check'], fx.env);
    expect(status.code).toBe(0);
    const runStatus = JSON.parse((await runFleet(['run', 'status', '--config', config, '--run', doc.queue.run, '--json'], fx.env)).stdout);
    expect(runStatus.counts).toEqual({ completed: 25 });
  }, 180_000);

  it('a worker killed mid-target: its jobs go to another worker, nothing is applied twice, verify passes', async () => {
    // Each tenant's migration counts itself in public.side_effects inside its transaction, then works a while.
    await setup(16, ['INSERT INTO public.side_effects (tenant) VALUES (current_schema())', 'SELECT pg_sleep(0.4)', 'CREATE TABLE projects (id serial PRIMARY KEY)'], LINT_ALLOW);
    const config = fx.project.path('fleet.config.ts');
    const victim = startWorker(['--config', config, '--until-empty', '--concurrency', '2'], fx.env);
    const survivor = startWorker(['--config', config, '--until-empty', '--concurrency', '2'], fx.env);
    workers.push(victim, survivor);
    const running = runFleet(['migrate', '--config', config, '--queue', '--max-connections', '4', '--json'], fx.env, 60_000);
    // Halfway through a job: the victim has started some, finished at least one.
    for (let i = 0; i < 400 && !/changed\s+fx\/main\/t/.test(victim.log()); i++) await sleep(50);
    await sleep(200);
    victim.child.kill('SIGKILL');
    const run = await running;
    if (run.code !== 0)
      console.log(
        JSON.stringify(await query(fx.db, `SELECT data->>'target' AS t, state, retry_count, started_on, heartbeat_on FROM fleet_queue.job ORDER BY retry_count DESC LIMIT 3`)),
        survivor.log(),
        victim.log(),
        run.stdout.slice(0, 3000),
      );
    const lost = await victim.done;
    expect({ signal: lost.signal, log: lost.signal ? '' : lost.stderr }).toEqual({ signal: 'SIGKILL', log: '' });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).summary).toMatchObject({ targets: 17, failed: 0 });
    const kept = await survivor.done;
    expect(kept.code).toBe(0);

    const effects = await query<{ n: number; tenants: number }>(fx.db, 'SELECT count(*)::int AS n, count(DISTINCT tenant)::int AS tenants FROM public.side_effects');
    expect(effects[0]).toEqual({ n: 16, tenants: 16 }); // each migration committed exactly once
    expect((await runFleet(['verify', '--config', config], fx.env)).code).toBe(0);
    // The killed worker had jobs in flight: another worker took them over after its heartbeat stopped.
    expect(kept.stderr).toMatch(/attempt 2: an earlier worker stopped/);
  }, 180_000);

  it('a coordinator killed mid-run: run status shows the run from the queue, run wait picks it up and writes the journal', async () => {
    await setup(12, ['CREATE TABLE projects (id serial PRIMARY KEY)', 'SELECT pg_sleep(0.3)']);
    const config = fx.project.path('fleet.config.ts');
    // A worker runs the global track's job, then the tenants' are queued (a phase after it).
    workers.push(startWorker(['--config', config, '--until-empty', '--concurrency', '2'], fx.env));
    const coordinator = spawn(process.execPath, [FLEET_BIN, 'migrate', '--config', config, '--queue', '--max-connections', '2'], {
      cwd: WORKSPACE_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', ...fx.env },
      stdio: 'ignore',
    });
    // Once all its jobs are queued, the coordinator dies; the worker goes on.
    for (let i = 0; i < 1200; i++) {
      const rows = await query<{ n: number }>(fx.db, "SELECT count(*)::int AS n FROM pg_catalog.pg_tables WHERE schemaname = 'fleet_queue' AND tablename = 'job'");
      if (rows[0].n && (await query<{ n: number }>(fx.db, 'SELECT count(*)::int AS n FROM fleet_queue.job'))[0].n >= 13) break;
      await sleep(50);
    }
    coordinator.kill('SIGKILL');
    const status = JSON.parse((await runFleet(['run', 'status', '--config', config, '--json'], fx.env)).stdout);
    expect(status.run).toMatch(/^fx-/);
    expect(Object.values(status.counts as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(13);

    const waited = await runFleet(['run', 'wait', '--config', config, '--json'], fx.env, 120_000);
    expect(waited.code).toBe(0);
    const report = JSON.parse(waited.stdout);
    expect(report.summary).toMatchObject({ targets: 13, changed: 12, unchanged: 1, failed: 0 });
    expect(report.queue.run).toBe(status.run);
    expect(existsSync(report.journal)).toBe(true);
    expect((await runFleet(['status', '--config', config, '--check'], fx.env)).code).toBe(0);
  }, 180_000);
});
