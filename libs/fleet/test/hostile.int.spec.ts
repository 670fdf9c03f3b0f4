/** Broken and hostile input: each gets a clear error, runs nothing it should not, loses nothing. */
import { rmSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { migrate } from '../src/commands/run-commands';
import { drift } from '../src/commands/drift';
import { status } from '../src/commands/status';
import { FixtureProject, WORKSPACE_ROOT, runFleet, databaseUrl, dropDatabase, query, uniqueName } from '../src/testing';

describe('hostile and broken input', () => {
  let project: FixtureProject;
  let db: string;
  let env: NodeJS.ProcessEnv;
  const opts = () => ({ config: project.path('fleet.config.ts'), workspaceRoot: WORKSPACE_ROOT, env });

  beforeEach(() => {
    project = new FixtureProject('hostile');
    db = uniqueName('fleet_t_hostile');
    env = { FX_MAIN_URL: databaseUrl(db) };
    project.writeConfig({ app: 'fx', databases: { main: { migrations: './migrations', createDatabase: true, urlEnv: 'FX_MAIN_URL', dataSource: './data-source.ts' } } });
    project.writeMigration('migrations', { name: 'CreateUsers1000', up: ['CREATE TABLE users (id serial PRIMARY KEY)'], down: ['DROP TABLE users'] });
  });
  afterEach(async () => {
    project.remove();
    await dropDatabase(db);
  });

  it('two migrations with the same name: exit 2 naming both files, nothing runs', async () => {
    project.writeFile('migrations/2000-Copy.ts', 'export class CreateUsers1000 { async up() {} async down() {} }\n');
    const run = await runFleet(['migrate', '--config', project.path('fleet.config.ts')], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Two migrations are named CreateUsers1000: .*1000-CreateUsers\.ts and .*2000-Copy\.ts/);
    expect(await query('postgres', 'SELECT 1 FROM pg_database WHERE datname = $1', [db])).toEqual([]);
  });

  it('a migration file that throws on import, and a config that throws: exit 2 with the file and the error', async () => {
    project.writeFile('migrations/3000-Broken.ts', "throw new Error('boom at import');\n");
    const run = await runFleet(['status', '--config', project.path('fleet.config.ts')], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Migration file .*3000-Broken\.ts failed to load: boom at import/);
    rmSync(project.path('migrations/3000-Broken.ts'));
    writeFileSync(project.path('fleet.config.ts'), "throw new Error('config exploded');\n");
    const bad = await runFleet(['status', '--config', project.path('fleet.config.ts')], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Fleet config .*fleet\.config\.ts failed to load: config exploded/);
    const missing = await runFleet(['status', '--app', 'no-such-app'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('No Fleet config for app "no-such-app"');
  });

  it('a DataSource module that throws on import: migrate warns and goes on; drift reports it for that database', async () => {
    project.writeFile('data-source.ts', "throw new Error('entities failed');\n");
    const notices: string[] = [];
    const run = await migrate({ ...opts(), onEvent: (e) => e.type === 'notice' && notices.push(e.message) });
    expect(run.ok).toBe(true);
    expect(notices.join('\n')).toMatch(/could not read the entities of .*data-source\.ts .*entities failed.*migrating without them/);
    const report = await drift(opts());
    expect(report.ok).toBe(false);
    expect(report.targets[0]).toMatchObject({ state: 'error' });
    expect(String(report.targets[0].error!.message)).toMatch(/data source module .*data-source\.ts failed to load: entities failed/);
  });

  it('a version table edited by hand: an unknown row blocks the target and names it; a dropped table fails clearly, losing nothing', async () => {
    await migrate(opts());
    await query(db, `INSERT INTO fleet_migrations (name, seq, timestamp, status, method) VALUES ('Ghost9000', 99, 9000, 'applied', 'run')`);
    const blocked = await migrate(opts());
    expect(blocked.results[0].outcome).toBe('blocked');
    expect(blocked.results[0].findings[0].message).toContain('Ghost9000 is applied in the database but missing from the code');
    await query(db, `DELETE FROM fleet_migrations WHERE name = 'Ghost9000'`);

    await query(db, 'DROP TABLE fleet_migrations');
    await query(db, 'INSERT INTO users DEFAULT VALUES');
    const rerun = await migrate(opts());
    expect(rerun.results[0].outcome).toBe('failed');
    expect(String(rerun.results[0].failed!.error.message)).toMatch(/CreateUsers1000 failed \(up\) on fx\/main: relation "users" already exists/);
    expect(await query(db, 'SELECT count(*)::int AS n FROM users')).toEqual([{ n: 1 }]); // nothing lost
    const st = await status(opts());
    expect(st.targets[0].state).toBe('pending');
  });

  it('a wrong password and an unreachable host fail with clear, bounded errors', async () => {
    const wrong = await runFleet(['status', '--config', project.path('fleet.config.ts')], { FX_MAIN_URL: `postgres://nobody_${process.pid}:wrong@127.0.0.1:5432/${db}` });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr + wrong.stdout).toMatch(/Cannot connect to postgres:\/\/nobody_\d+@127\.0\.0\.1:5432\/.*(role|password|authentication)/);
    expect(wrong.stderr + wrong.stdout).not.toContain('wrong'); // the password is never printed
    // A host that accepts the TCP connection and never answers (on loopback: tests send nothing
    // off this machine): the connect timeout bounds the wait.
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as AddressInfo).port;
    try {
      const started = Date.now();
      const report = await status({ ...opts(), env: { FX_MAIN_URL: `postgres://root@127.0.0.1:${port}/x` }, connectTimeoutMs: 1500 });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(report.targets[0].state).toBe('failed');
      expect(String(report.targets[0].error!.message)).toMatch(new RegExp(`Cannot connect to postgres://root@127\\.0\\.0\\.1:${port}/x: .*timeout`, 'i'));
    } finally {
      silent.close();
    }
  }, 60_000);
});
