/**
 * Queue mode's waits end on Ctrl-C within 2 s with a report: a worker waiting for a job, and a
 * coordinator waiting for workers that never come. (Both held before these tests: they guard the
 * queue's restructuring.)
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { query, tenantFleetConfig, useFixture, WORKSPACE_ROOT } from '../src/testing';

const FLEET_BIN = join(WORKSPACE_ROOT, 'libs', 'fleet', 'bin', 'fleet.js');

describe('Ctrl-C during queue waits', () => {
  const fx = useFixture('qwaits');

  async function setup(): Promise<string> {
    fx.project.writeConfig(tenantFleetConfig({}, { discover: { list: ['a', 'b'] }, registry: undefined }));
    fx.project.writeMigration('global', { name: 'Init1000', up: ['SELECT 1'] });
    fx.project.writeMigration('tenant', { name: 'CreateItems1000', up: ['CREATE TABLE items (id int)'] });
    return fx.project.path('fleet.config.ts');
  }

  function start(args: string[]) {
    const child = spawn(process.execPath, [FLEET_BIN, ...args], { cwd: WORKSPACE_ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', ...fx.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    return {
      stderr: () => stderr,
      interrupt: async () => {
        const sentAt = Date.now();
        child.kill('SIGINT');
        const code = await closed;
        return { code, ms: Date.now() - sentAt, stdout, stderr };
      },
      kill: () => child.kill('SIGKILL'),
    };
  }

  const until = async (what: () => boolean | Promise<boolean>, ms: number) => {
    const deadline = Date.now() + ms;
    while (!(await what()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  };

  it('a worker waiting for a job: out within 2 s, saying what it did', async () => {
    const config = await setup();
    const worker = start(['worker', '--config', config]);
    try {
      // Ready once it has said it waits (or after 10 s).
      await until(() => /wait|poll|ready|listen/i.test(worker.stderr()), 10_000);
      await new Promise((r) => setTimeout(r, 1_000));
      const run = await worker.interrupt();
      expect(run.ms).toBeLessThan(2_000);
      expect(run.code).toBe(130);
      expect(`${run.stdout}${run.stderr}`).toMatch(/SIGINT/);
    } finally {
      worker.kill();
    }
  }, 60_000);

  it('a coordinator waiting for workers that never come: out within 2 s with a report of every target', async () => {
    const config = await setup();
    const coordinator = start(['migrate', '--config', config, '--queue', '--json']);
    try {
      // Waiting once its first job is queued (a job row in the queue's schema).
      await until(async () => {
        const rows = await query<{ n: number }>(fx.db, `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'fleet_queue'`).catch(() => [{ n: 0 }]);
        return rows[0].n > 0;
      }, 30_000);
      await new Promise((r) => setTimeout(r, 2_000));
      const run = await coordinator.interrupt();
      expect(run.ms).toBeLessThan(2_000);
      expect(run.code).toBe(130);
      const report = JSON.parse(run.stdout);
      expect(report.interrupted).toBe('SIGINT');
      expect(report.results.map((r: { target: string }) => r.target)).toContain('fx/main');
    } finally {
      coordinator.kill();
    }
  }, 60_000);
});
