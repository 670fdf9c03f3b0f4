/** Drift detection on the real server, with app1's real entities and migrations. */
import { relative } from 'node:path';
import { drift } from '../src/commands/drift';
import { migrate } from '../src/commands/run-commands';
import { registerTenants } from '../src/commands/tenants';
import { FixtureProject, WORKSPACE_ROOT, runFleet, databaseUrl, dropDatabase, query, uniqueName } from '../src/testing';

const USERS_DIR = `${WORKSPACE_ROOT}/apps/app1/src/databases/users`;

describe('drift', () => {
  let project: FixtureProject;
  let db: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    project = new FixtureProject('drift');
    db = uniqueName('fleet_t_drift');
    env = { FX_MAIN_URL: databaseUrl(db) };
    const rel = (p: string) => relative(project.root, `${USERS_DIR}/${p}`);
    project.writeConfig({
      app: 'fx',
      databases: {
        main: {
          migrations: rel('migrations/global'),
          dataSource: rel('global.data-source.ts'),
          createDatabase: true,
          urlEnv: 'FX_MAIN_URL',
          tenants: {
            strategy: 'schema',
            migrations: rel('migrations/tenant'),
            dataSource: rel('tenant.data-source.ts'),
            discover: { sql: 'SELECT id FROM tenants ORDER BY id' },
            registry: { table: 'tenants' },
          },
        },
      },
    });
    await migrate(opts());
    await registerTenants({ ...opts(), tenants: [{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd' }] });
    await migrate(opts());
  });
  afterEach(async () => {
    project.remove();
    await dropDatabase(db);
  });

  const opts = () => ({ config: project.path('fleet.config.ts'), workspaceRoot: WORKSPACE_ROOT, env });

  it('finds a migrated fleet clean, comparing each distinct shape once', async () => {
    const report = await drift(opts());
    expect(report.ok).toBe(true);
    expect(report.targets.map((t) => [t.target, t.state])).toEqual([
      ['fx/main', 'clean'],
      ['fx/main/a', 'clean'],
      ['fx/main/b', 'clean'],
      ['fx/main/c', 'clean'],
      ['fx/main/d', 'clean'],
    ]);
    expect(report.shapes).toHaveLength(1);
    expect(report.shapes[0].tenants).toBe(4);
    expect(report.comparisons).toBe(2); // the global schema + one tenant shape, not four
  });

  it('names exactly the tenant with a hand-made ALTER TABLE and the change', async () => {
    await query(db, 'ALTER TABLE tenant_c.users ADD COLUMN nickname text');
    const report = await drift(opts());
    expect(report.ok).toBe(false);
    const drifted = report.targets.filter((t) => t.state !== 'clean');
    expect(drifted.map((t) => t.target)).toEqual(['fx/main/c']);
    const messages = drifted[0].changes.map((c) => c.message);
    expect(messages).toContain('extra column users.nickname (not mapped by the entities)');
    expect(messages.some((m) => m.startsWith('extra column users.nickname text null (compared with the 3 tenant(s)'))).toBe(true);

    const cli = await runFleet(['drift', '--config', project.path('fleet.config.ts')], env);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(/DRIFT\s+fx\/main\/c\n\s+extra column users.nickname/);
  });

  it('reports a difference the entities do not cover (an extra index in one tenant) against the majority', async () => {
    await query(db, 'CREATE INDEX hotfix_projects_name ON tenant_b.projects (name)');
    const report = await drift(opts());
    const b = report.targets.find((t) => t.tenant === 'b')!;
    expect(b.state).toBe('drift');
    expect(b.changes.some((c) => c.kind === 'differs-from-majority' && c.message.includes('hotfix_projects_name'))).toBe(true);
    expect(report.targets.filter((t) => t.state === 'drift').map((t) => t.tenant)).toEqual(['b']);
  });
});
