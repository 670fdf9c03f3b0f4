/**
 * Staged rollouts: internal tenants first, then a canary share, then the rest; a wave that fails
 * stops the rollout and the report says which tenants did not start; `--wave` runs one wave.
 * Also through the queue (waves are phases; the workers run them).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assignWaves, Wave } from '../src/rollout/waves';
import { query, runFleet, tenantFleetConfig, useFixture, WORKSPACE_ROOT } from '../src/testing';

const WAVES: Wave[] = [
  { name: 'internal', match: { plan: 'internal' } },
  { name: 'canary', percent: 50 },
  { name: 'rest', rest: true, pauseMs: 200 },
];
const INTERNAL = ['i01', 'i02'];
const FREE = ['t01', 't02', 't03', 't04', 't05', 't06', 't07', 't08'];

describe('staged rollouts', () => {
  const fx = useFixture('rollout');
  let worker: ChildProcess | undefined;
  afterEach(() => worker?.kill('SIGKILL'));

  /** The canary members the engine will pick (the same pure function), and one of them made to fail. */
  const canary = assignWaves(
    [...INTERNAL.map((id) => ({ id, attributes: { plan: 'internal' } })), ...FREE.map((id) => ({ id, attributes: { plan: 'free' } }))],
    WAVES,
  ).waves[1].members.map((m) => m.id);
  const failing = canary[0];
  const rest = FREE.filter((id) => !canary.includes(id));

  async function setup(): Promise<string> {
    fx.project.writeConfig({
      ...(tenantFleetConfig({}, { discover: { sql: 'SELECT id, plan FROM tenants ORDER BY id' } }) as object),
      rollout: { waves: WAVES },
    });
    fx.project.writeMigration('global', { name: 'CreateTenants1000', up: ["CREATE TABLE tenants (id text PRIMARY KEY, plan text NOT NULL DEFAULT 'free')"] });
    // Fails on one canary tenant only (division by zero there).
    fx.project.writeMigration('tenant', {
      name: 'CreateProjects1000',
      up: ['CREATE TABLE projects (id serial PRIMARY KEY)', `SELECT 1 / (CASE WHEN current_schema() = 'tenant_${failing}' THEN 0 ELSE 1 END)`],
    });
    const config = fx.project.path('fleet.config.ts');
    expect((await runFleet(['migrate', '--config', config, '--track', 'global'], fx.env)).code).toBe(0);
    await query(fx.db, `INSERT INTO tenants (id, plan) SELECT unnest($1::text[]), unnest($2::text[])`, [
      [...INTERNAL, ...FREE],
      [...INTERNAL.map(() => 'internal'), ...FREE.map(() => 'free')],
    ]);
    return config;
  }

  const hasProjects = async (tenant: string) => (await query<{ ok: boolean }>(fx.db, `SELECT to_regclass($1) IS NOT NULL AS ok`, [`tenant_${tenant}.projects`]))[0].ok;

  it('a failing canary stops the rollout: the rest never starts, the report names it; --wave runs one wave', async () => {
    const config = await setup();
    const run = await runFleet(['migrate', '--config', config, '--json'], fx.env);
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout);
    const waves = Object.fromEntries(doc.waves.map((w: { name: string }) => [w.name, w]));
    expect(waves.internal).toMatchObject({ state: 'done', tenants: INTERNAL, changed: 2, failed: 0 });
    expect(waves.canary).toMatchObject({ state: 'failed', changed: canary.length - 1, failed: 1 });
    expect(waves.canary.tenants.sort()).toEqual([...canary].sort());
    expect(waves.rest).toMatchObject({ state: 'not-started', changed: 0, notRun: rest.length });
    expect(waves.rest.reason).toMatch(new RegExp(`wave canary failed: 1 of ${canary.length} `));
    expect(run.stderr).toMatch(
      new RegExp(`rollout stopped \\(wave canary failed: 1 of ${canary.length} target\\(s\\) failed or blocked\\): wave rest did not start, ${rest.length} tenant\\(s\\)`),
    );
    for (const id of rest) {
      expect(await hasProjects(id)).toBe(false);
      const r = doc.results.find((x: { target: string }) => x.target === `fx/main/${id}`);
      expect(r.outcome).toBe('not-run');
      expect(r.failed.error.message).toMatch(/not started: rollout stopped before wave rest/);
    }
    for (const id of [...INTERNAL, ...canary.filter((c) => c !== failing)]) expect(await hasProjects(id)).toBe(true);

    // Status shows how far each wave is, in JSON, text and the HTML view; so does the run journal.
    const status = JSON.parse((await runFleet(['status', '--config', config, '--json'], fx.env)).stdout);
    expect(status.waves.map((w: Record<string, unknown>) => [w.name, w.tenants, w['at-head'], w.pending])).toEqual([
      ['internal', 2, 2, 0],
      ['canary', canary.length, canary.length - 1, 1],
      ['rest', rest.length, 0, rest.length],
    ]);
    const text = await runFleet(['status', '--config', config], fx.env);
    expect(text.stdout).toMatch(new RegExp(`wave canary\\s+${canary.length} tenant\\(s\\): ${canary.length - 1} at head, 1 pending`));
    const html = fx.project.path('status.html');
    await runFleet(['status', '--config', config, '--html', html], fx.env);
    expect(readFileSync(html, 'utf8')).toMatch(new RegExp(`<table id="waves">.*<td>canary</td><td class="num">${canary.length}</td>`));
    const journal = JSON.parse(readFileSync(doc.journal, 'utf8'));
    expect(journal.waves.map((w: { name: string; state: string }) => w.state)).toEqual(['done', 'failed', 'not-started']);

    // An operator decides to go on with the rest anyway: one wave, by name.
    const one = await runFleet(['migrate', '--config', config, '--wave', 'rest'], fx.env);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(new RegExp(`wave rest\\s+done\\s+${rest.length} tenant\\(s\\): ${rest.length} changed`));
    expect(one.stdout).toMatch(/wave canary\s+skipped/);
    for (const id of rest) expect(await hasProjects(id)).toBe(true);
    expect(await hasProjects(failing)).toBe(false);
    const unknown = await runFleet(['migrate', '--config', config, '--wave', 'nope'], fx.env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('has no such wave (waves: internal, canary, rest)');
  }, 120_000);

  it('works the same through the queue', async () => {
    const config = await setup();
    worker = spawn(process.execPath, [join(WORKSPACE_ROOT, 'libs/fleet/bin/fleet.js'), 'worker', '--config', config, '--until-empty'], {
      cwd: WORKSPACE_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', ...fx.env },
      stdio: 'ignore',
    });
    const run = await runFleet(['migrate', '--config', config, '--queue', '--json'], fx.env, 120_000);
    const doc = JSON.parse(run.stdout);
    expect({ code: run.code, error: doc.error }).toEqual({ code: 1, error: undefined });
    expect(doc.queue.run).toMatch(/^fx-/);
    expect(doc.waves.map((w: { name: string; state: string }) => [w.name, w.state])).toEqual([
      ['internal', 'done'],
      ['canary', 'failed'],
      ['rest', 'not-started'],
    ]);
    for (const id of rest) expect(await hasProjects(id)).toBe(false);
  }, 120_000);
});
