/**
 * The report is never lost or wrong: whole JSON through a slow pipe, a journal that cannot be
 * written, ids that cannot become names, exit codes that match what happened.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { migrate } from '../src/commands/run-commands';
import { join } from 'node:path';
import { FixtureProject, WORKSPACE_ROOT, databaseUrl, tenantFleetConfig, dropDatabase, query, uniqueName, runFleet as runFleetCli } from '../src/testing';

const FLEET_BIN = join(WORKSPACE_ROOT, 'libs', 'fleet', 'bin', 'fleet.js');

/** Runs a shell pipeline; resolves with its exit code and output. */
function shell(command: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', command], { env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the report is never lost', () => {
  let project: FixtureProject;
  let db: string;
  beforeEach(() => {
    project = new FixtureProject('report');
    db = uniqueName('fleet_t_report');
  });
  afterEach(async () => {
    project.remove();
    await dropDatabase(db);
  });

  it('a --json document of 1500 targets arrives whole through a pipe whose reader starts late', async () => {
    const ids = Array.from({ length: 1500 }, (_, i) => `tenant_number_${String(i).padStart(5, '0')}`);
    project.writeMigration('global', { name: 'Init1000', up: ['SELECT 1'] });
    project.writeMigration('tenant', { name: 'CreateUsers1000', up: ['CREATE TABLE users (id int)'] });
    project.writeConfig({
      app: 'fx',
      databases: {
        main: { migrations: './global', createDatabase: true, urlEnv: 'FX_MAIN_URL', tenants: { strategy: 'schema', migrations: './tenant', discover: { list: ids } } },
      },
    });
    const env = { FX_MAIN_URL: databaseUrl(db) };
    expect((await shell(`node ${FLEET_BIN} migrate --config ${project.path('fleet.config.ts')} --track global --json > /dev/null`, env)).code).toBe(0);
    const reader = `node -e "setTimeout(() => { let s = ''; process.stdin.on('data', (d) => (s += d)).on('end', () => { const doc = JSON.parse(s); console.log(doc.targets.length, s.length); }); }, 1500)"`;
    const piped = await shell(`node ${FLEET_BIN} status --config ${project.path('fleet.config.ts')} --json | ${reader}`, env);
    expect(piped.stderr).not.toMatch(/SyntaxError|Unexpected end/);
    const [targets, bytes] = piped.stdout.trim().split(' ').map(Number);
    expect(targets).toBe(1501);
    expect(bytes).toBeGreaterThan(131_072);
  }, 120_000);
});

describe('the journal is a record, not the run', () => {
  let project: FixtureProject;
  let db: string;
  beforeEach(() => {
    project = new FixtureProject('journal');
    db = uniqueName('fleet_t_journal');
  });
  afterEach(async () => {
    project.remove();
    await dropDatabase(db);
  });

  it('a journal that cannot be written at the end is a warning: the run stays a success, its report whole, no .tmp left', async () => {
    project.writeMigration('migrations', { name: 'CreateUsers1000', up: ['CREATE TABLE users (id int)'] });
    project.writeConfig({ app: 'fx', databases: { main: { migrations: './migrations', createDatabase: true, urlEnv: 'FX_MAIN_URL' } } });
    const journalDir = project.path('runs');
    const notices: string[] = [];
    let journalPath = '';
    const report = await migrate({
      config: project.path('fleet.config.ts'),
      workspaceRoot: WORKSPACE_ROOT,
      env: { FX_MAIN_URL: databaseUrl(db) },
      journalDir,
      onEvent: (e) => {
        if (e.type === 'notice') {
          notices.push(e.message);
          if (e.message.startsWith('Run journal: ')) journalPath = e.message.slice('Run journal: '.length);
        }
        // The disk "fills" as the run ends: the journal's final write meets a directory.
        if (e.type === 'run-end') {
          rmSync(journalPath);
          mkdirSync(journalPath);
        }
      },
    });
    expect(report.ok).toBe(true);
    expect(report.results[0].applied).toEqual(['CreateUsers1000']);
    expect(report.journal).toBeUndefined();
    expect(notices.join('\n')).toMatch(/warning: the run journal .* could not be written .*the report above is complete/);
    expect(readdirSync(journalDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('ids that cannot become names, and exit codes that match what happened', () => {
  let project: FixtureProject;
  let db: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    project = new FixtureProject('ids');
    db = uniqueName('fleet_t_ids');
    env = { FX_MAIN_URL: databaseUrl(db) };
    project.writeMigration('global', { name: 'CreateTenants1000', up: ['CREATE TABLE tenants (id text)'], down: ['DROP TABLE tenants'] });
    project.writeMigration('tenant', { name: 'CreateUsers1000', up: ['CREATE TABLE users (id int)'], down: ['DROP TABLE users'] });
    project.writeConfig(tenantFleetConfig({}, { registry: undefined }));
  });
  afterEach(async () => {
    project.remove();
    await dropDatabase(db);
  });
  const cli = (...args: string[]) => runFleetCli([...args, '--config', project.path('fleet.config.ts')], env);

  it('a 60-byte id (tenant_<id> is too long) and a NULL id are failed targets; the other tenants migrate', async () => {
    expect((await cli('migrate')).code).toBe(0);
    const long = 'a'.repeat(60);
    await query(db, `INSERT INTO tenants VALUES ('ok1'), ($1), (NULL), ('ok2')`, [long]);
    const run = await cli('migrate', '--json');
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout);
    const byTarget = Object.fromEntries(
      doc.results.map((r: { target: string; outcome: string; failed: { error: { message: string } } | null }) => [r.target, [r.outcome, r.failed?.error.message ?? null]]),
    );
    expect(byTarget['fx/main/ok1']).toEqual(['changed', null]);
    expect(byTarget['fx/main/ok2']).toEqual(['changed', null]);
    expect(byTarget[`fx/main/${long}`]).toEqual(['failed', expect.stringMatching(/Invalid tenant schema "tenant_a+": it is 67 bytes long/)]);
    expect(byTarget['fx/main/null']).toEqual(['failed', expect.stringMatching(/Invalid tenant id "null": it is empty or not a string/)]);
    expect((await query(db, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant_%' ORDER BY 1`)).map((r) => r.nspname)).toEqual(['tenant_ok1', 'tenant_ok2']);
    const st = await cli('status');
    expect(st.code).toBe(1);
    expect(st.stdout).toMatch(/3 at head, 0 pending, 0 diverged, 2 failed/);
  });

  it('migrate --tenant acme on a fresh database applies the global track, then reports the unknown tenant as a failure (exit 1, not "nothing ran")', async () => {
    const run = await cli('migrate', '--tenant', 'acme', '--json');
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout);
    expect(doc.results.map((r: { target: string; outcome: string }) => [r.target, r.outcome])).toEqual([
      ['fx/main', 'changed'],
      ['fx/main/acme', 'failed'],
    ]);
    // Nothing ran: then it is a usage error.
    const again = await cli('migrate', '--tenant', 'acme');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/--tenant acme: no such tenant/);
  });
});
