/**
 * Queue mode tells the truth at its seams: a run is bound to the migrations it was planned with (a
 * worker with other migrations takes none of its jobs and says why), and a run whose coordinator
 * died is reported abandoned, with its counts and a way to finish it, never as ok.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { query, runFleet, tenantFleetConfig, useFixture, WORKSPACE_ROOT } from '../src/testing';

const FLEET_BIN = join(WORKSPACE_ROOT, 'libs', 'fleet', 'bin', 'fleet.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Child {
  child: ChildProcess;
  log(): string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function startFleet(args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, [FLEET_BIN, ...args], { cwd: WORKSPACE_ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr: stripVTControlCharacters(stderr) })),
  );
  return { child, done, log: () => stripVTControlCharacters(stderr) };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(100)) if (await check().catch(() => false)) return;
  throw new Error(`timed out waiting for ${what}`);
}

describe('queue mode: the truth about a run', () => {
  const fx = useFixture('qtruth');
  const children: Child[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  });

  async function setup(tenants: number, tenantMigrations: Array<{ name: string; up: string[] }>): Promise<string> {
    fx.project.writeConfig(tenantFleetConfig({ lockWaitMs: 5000 }));
    fx.project.writeMigration('global', { name: 'CreateTenants1000', up: ['CREATE TABLE tenants (id text PRIMARY KEY)'] });
    for (const m of tenantMigrations) fx.project.writeMigration('tenant', m);
    const config = fx.project.path('fleet.config.ts');
    expect((await runFleet(['migrate', '--config', config, '--track', 'global'], fx.env)).code).toBe(0);
    await query(fx.db, `INSERT INTO tenants (id) SELECT 't' || i FROM generate_series(1, ${tenants}) AS i`);
    return config;
  }

  /** Another copy of the app (same config and database), for a worker deployed from other code. */
  function copyOfApp(name: string): string {
    const dir = fx.project.path('copies', name);
    for (const part of ['fleet.config.ts', 'global', 'tenant']) cpSync(fx.project.path(part), join(dir, part), { recursive: true });
    return dir;
  }

  it("a worker with one more or one fewer tenant migration takes none of the run's jobs, says why, and run status shows it", async () => {
    // Fault injected: two workers deployed from other code than the coordinator's (one extra tenant migration, one missing).
    const config = await setup(3, [
      { name: 'CreateProjects1000', up: ['CREATE TABLE projects (id serial PRIMARY KEY)'] },
      { name: 'AddName1100', up: ['ALTER TABLE projects ADD COLUMN name text'] },
    ]);
    const rogue = copyOfApp('rogue');
    fx.project.writeMigration(join('copies', 'rogue', 'tenant'), { name: 'Rogue2000', up: ['CREATE TABLE rogue (id int)'] });
    const behind = copyOfApp('behind');
    for (const f of readdirSync(join(behind, 'tenant')).filter((f) => f.includes('AddName'))) rmSync(join(behind, 'tenant', f));

    const coordinator = startFleet(['migrate', '--config', config, '--queue', '--json'], fx.env);
    children.push(coordinator);
    await until('the run', async () => (await query(fx.db, 'SELECT 1 FROM fleet_queue.fleet_runs')).length > 0);
    const wrong = [rogue, behind].map((dir, i) => startFleet(['worker', '--config', join(dir, 'fleet.config.ts'), '--until-empty', ...(i === 0 ? ['--json'] : [])], fx.env));
    children.push(...wrong);
    const [r, b] = await Promise.all(wrong.map((w) => w.done));
    expect(r.stderr).toMatch(/refused\s+run fx-.*only here \(not planned\) Rogue2000/);
    expect(b.stderr).toMatch(/refused\s+run fx-.*missing here AddName1100/);
    expect([r.code, b.code]).toEqual([1, 1]);
    expect(r.stderr + b.stderr).not.toMatch(/changed|applied/);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, jobs: 0, refused: [{ reason: expect.stringContaining('Rogue2000') }] });

    const status = await runFleet(['run', 'status', '--config', config, '--json'], fx.env);
    const doc = JSON.parse(status.stdout);
    expect(doc.state).toBe('running');
    expect(doc.refusals.map((x: { reason: string }) => x.reason).sort()).toEqual([
      expect.stringContaining('missing here AddName1100'),
      expect.stringContaining('only here (not planned) Rogue2000'),
    ]);
    expect(doc.totals).toMatchObject({ done: 0, failed: 0 });
    const text = await runFleet(['run', 'status', '--config', config], fx.env);
    expect(text.stdout).toContain('refused by worker');

    // A worker from the coordinator's own code finishes the run; nothing it did not plan was applied anywhere.
    const good = startFleet(['worker', '--config', config, '--until-empty'], fx.env);
    children.push(good);
    const run = await coordinator.done;
    expect(run.stderr).toMatch(/refused run fx-/);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).summary).toMatchObject({ targets: 4, changed: 3, failed: 0 });
    expect((await good.done).code).toBe(0);
    expect(await query(fx.db, "SELECT schemaname FROM pg_catalog.pg_tables WHERE tablename = 'rogue'")).toEqual([]);
    const applied = await query<{ n: number }>(fx.db, "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'projects' AND column_name = 'name'");
    expect(applied[0].n).toBe(3);
  }, 240_000);

  it('a coordinator killed after queuing the global jobs: run wait and run status say abandoned, with counts and a non-zero exit; a new run finishes it', async () => {
    // Fault injected: SIGKILL of the coordinator once its global job is queued (its 8 tenants never are).
    const config = await setup(8, [{ name: 'CreateProjects1000', up: ['CREATE TABLE projects (id serial PRIMARY KEY)'] }]);
    const coordinator = startFleet(['migrate', '--config', config, '--queue'], fx.env);
    children.push(coordinator);
    await until('the global job', async () => (await query<{ n: number }>(fx.db, 'SELECT count(*)::int AS n FROM fleet_queue.job'))[0].n >= 1);
    coordinator.child.kill('SIGKILL');
    await coordinator.done;
    const worker = startFleet(['worker', '--config', config, '--until-empty'], fx.env);
    children.push(worker);

    const waited = await runFleet(['run', 'wait', '--config', config, '--json'], fx.env, 120_000);
    expect(waited.code).toBe(1);
    const report = JSON.parse(waited.stdout);
    expect(report.ok).toBe(false);
    expect(report.abandoned).toMatchObject({ state: 'abandoned', totals: { done: 1, pending: 0, failed: 0 } });
    expect(report.abandoned.message).toContain('fleet migrate --queue');
    const runId = report.queue.run;

    const status = await runFleet(['run', 'status', '--config', config, '--json'], fx.env);
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout)).toMatchObject({ ok: false, run: runId, state: 'abandoned', totals: { done: 1, pending: 0, failed: 0 } });
    expect((await worker.done).code).toBe(0);

    // The documented way to finish it: a new queued run; the abandoned run stays abandoned (never the new run's result).
    const resumeWorker = startFleet(['worker', '--config', config, '--until-empty'], fx.env);
    children.push(resumeWorker);
    const resumed = await runFleet(['migrate', '--config', config, '--queue', '--json'], fx.env, 120_000);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout).summary).toMatchObject({ targets: 9, changed: 8, unchanged: 1, failed: 0 });
    expect((await runFleet(['status', '--config', config, '--check'], fx.env)).code).toBe(0);
    const again = await runFleet(['run', 'wait', '--config', config, '--run', runId, '--json'], fx.env, 60_000);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout).queue.run).toBe(runId);
    expect((await resumeWorker.done).code).toBe(0);
  }, 240_000);
});
