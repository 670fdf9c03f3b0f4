/** SQL for a new migration from the entities vs a scratch database at head (real server). */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { generateMigrationSql } from '../src/commands/generate';
import { FixtureProject, WORKSPACE_ROOT, databaseUrl, query, uniqueName } from '../src/testing';

const USERS_DIR = `${WORKSPACE_ROOT}/apps/app1/src/databases/users`;

describe('generateMigrationSql', () => {
  let project: FixtureProject;
  const db = uniqueName('fleet_t_gen');
  const env = { FX_MAIN_URL: databaseUrl(db) };

  beforeEach(() => {
    project = new FixtureProject('generate');
    // The tenant track of app1 without its second migration: the entities map `projects`, the migrations do not.
    mkdirSync(project.path('tenant'), { recursive: true });
    copyFileSync(join(USERS_DIR, 'migrations/tenant/1764000000000-CreateUsers.ts'), project.path('tenant/1764000000000-CreateUsers.ts'));
    const rel = (p: string) => relative(project.root, `${USERS_DIR}/${p}`);
    project.writeConfig({
      app: 'fx',
      databases: {
        main: {
          urlEnv: 'FX_MAIN_URL',
          migrations: rel('migrations/global'),
          dataSource: rel('global.data-source.ts'),
          tenants: { strategy: 'schema', migrations: './tenant', dataSource: rel('tenant.data-source.ts'), discover: { list: [] } },
        },
      },
    });
  });
  afterEach(() => project.remove());

  it('returns the SQL that brings the tenant track to the entities, schema-neutral, and drops its scratch database', async () => {
    const before = await query<{ n: number }>('postgres', `SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'fleet_scratch_%'`);
    const sql = await generateMigrationSql({ config: project.path('fleet.config.ts'), workspaceRoot: WORKSPACE_ROOT, env, database: 'main', track: 'tenant' });
    expect(sql.up[0]).toMatch(/^CREATE TABLE "projects" \("id" SERIAL NOT NULL, "name" character varying\(200\) NOT NULL/);
    expect(sql.up.some((q) => q.startsWith('CREATE INDEX "ix_projects_owner_id" ON "projects"'))).toBe(true);
    expect(sql.up.some((q) => /ADD CONSTRAINT "FK_\w+" FOREIGN KEY \("owner_id"\) REFERENCES "users"\("id"\)/.test(q))).toBe(true);
    expect(sql.down[sql.down.length - 1]).toBe('DROP TABLE "projects"');
    expect([...sql.up, ...sql.down].join('\n')).not.toContain('tenant_scratch');
    const after = await query<{ n: number }>('postgres', `SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'fleet_scratch_%'`);
    expect(after).toEqual(before);
  });

  it('returns nothing for a track whose migrations match its entities', async () => {
    const sql = await generateMigrationSql({ config: project.path('fleet.config.ts'), workspaceRoot: WORKSPACE_ROOT, env, database: 'main', track: 'global' });
    expect(sql).toEqual({ up: [], down: [] });
  });
});
