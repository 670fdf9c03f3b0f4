import type { ExecutorContext } from '@nx/devkit';
import migrateExecutor from './executor';
import statusExecutor from '../status/executor';
import { FixtureProject, WORKSPACE_ROOT, databaseUrl, dropDatabase, query, uniqueName } from '@fleet/core/testing';

describe('migrate executor', () => {
  const db = uniqueName('fleet_t_executor');
  const project = new FixtureProject('executor');
  const urlEnv = `FLEET_EXECUTOR_TEST_${process.pid}_URL`;

  beforeAll(() => {
    process.env[urlEnv] = databaseUrl(db);
    project.writeConfig({ app: 'exe', databases: { main: { migrations: './migrations', createDatabase: true, urlEnv } } });
    project.writeMigration('migrations', { name: 'CreateThings1000', up: ['CREATE TABLE things (id int)'] });
  });
  afterAll(async () => {
    delete process.env[urlEnv];
    project.remove();
    await dropDatabase(db);
  });

  const context = { root: WORKSPACE_ROOT, projectName: 'exe', cwd: WORKSPACE_ROOT, isVerbose: false } as unknown as ExecutorContext;

  it('returns success and migrates; status --check succeeds afterwards', async () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const writeErr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await statusExecutor({ config: project.path('fleet.config.ts'), check: true }, context)).toEqual({ success: false });
      expect(await migrateExecutor({ config: project.path('fleet.config.ts') }, context)).toEqual({ success: true });
      expect(await statusExecutor({ config: project.path('fleet.config.ts'), check: true }, context)).toEqual({ success: true });
    } finally {
      write.mockRestore();
      writeErr.mockRestore();
    }
    expect(await query(db, 'SELECT name FROM fleet_migrations')).toEqual([{ name: 'CreateThings1000' }]);
  });

  it('fails (success: false) for an app without a Fleet config', async () => {
    const writeErr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await migrateExecutor({}, { ...context, projectName: 'no-such-app' } as ExecutorContext)).toEqual({ success: false });
      expect(writeErr.mock.calls.map((c) => String(c[0])).join('')).toContain('No Fleet config for app "no-such-app"');
    } finally {
      writeErr.mockRestore();
    }
  });
});
