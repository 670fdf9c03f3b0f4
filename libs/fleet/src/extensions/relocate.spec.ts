import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databaseScopes, planDatabase, relocateCommand } from './relocate';

const spec = { host: '127.0.0.1', port: 5432, user: 'root', database: 'app' };
const needs = (visible: string[], names: string[]) => ({ names, schema: 'extensions', visible });
const ext = (extname: string, nspname: string, relocatable = true) => ({ extname, nspname, relocatable });

describe('extensions relocate: what moves', () => {
  // A schema-per-tenant database: the global track sees public and extensions, a tenant only extensions.
  const [scope] = databaseScopes([
    { connection: spec, needs: needs(['public', 'extensions'], ['uuid-ossp']), tenantSchema: null },
    { connection: spec, needs: needs(['extensions'], ['uuid-ossp', 'pgcrypto']), tenantSchema: null },
    { connection: spec, needs: needs(['extensions'], []), tenantSchema: 'tenant_a' },
  ]);

  it('reads one database as every target sees it', () => {
    expect(scope).toMatchObject({
      database: 'app',
      home: 'extensions',
      visible: new Set(['extensions']),
      needed: new Set(['uuid-ossp', 'pgcrypto']),
      tenantSchemas: new Set(['tenant_a']),
    });
  });

  it('moves what the migrations need from where tenants do not look, and anything inside a tenant; leaves the rest', () => {
    const plan = planDatabase(scope, [ext('uuid-ossp', 'public'), ext('pg_stat_statements', 'public'), ext('hstore', 'tenant_a'), ext('citext', 'extensions')], false);
    expect(plan.statements).toEqual([
      'CREATE SCHEMA IF NOT EXISTS "extensions"',
      'ALTER EXTENSION "uuid-ossp" SET SCHEMA "extensions"',
      'ALTER EXTENSION "hstore" SET SCHEMA "extensions"',
    ]);
    expect(plan.moves.map((m) => [m.extension, m.from])).toEqual([
      ['uuid-ossp', 'public'],
      ['hstore', 'tenant_a'],
    ]);
    expect(plan.blocked).toEqual([]);
  });

  it('reports an extension that ALTER EXTENSION cannot move, and plans nothing when all is in place', () => {
    const plan = planDatabase({ ...scope, needed: new Set(['postgis']) }, [ext('postgis', 'public', false)], true);
    expect(plan.statements).toEqual([]);
    expect(plan.blocked).toEqual([expect.objectContaining({ extension: 'postgis', from: 'public', reason: expect.stringMatching(/not relocatable/) })]);
    expect(planDatabase(scope, [ext('uuid-ossp', 'extensions'), ext('pgcrypto', 'extensions')], true)).toMatchObject({ statements: [], moves: [], blocked: [] });
  });

  it('leaves a plain database alone: public is where its targets look', () => {
    const [plain] = databaseScopes([{ connection: spec, needs: { names: ['uuid-ossp'], schema: 'public', visible: ['public'] }, tenantSchema: null }]);
    expect(planDatabase(plain, [ext('uuid-ossp', 'public')], true).statements).toEqual([]);
  });
});

describe('extensions relocate: the command every error names', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'fleet-relocate-'));
    mkdirSync(join(root, 'apps', 'api'), { recursive: true });
    writeFileSync(join(root, 'apps', 'api', 'fleet.config.ts'), 'export default {};\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const config = () => ({ app: 'api', file: join(root, 'apps', 'api', 'fleet.config.ts'), workspaceRoot: root });

  it('CLI form without Nx; CLI and Nx forms in a workspace with the plugin (scoped project name)', () => {
    expect(relocateCommand(config())).toBe('`fleet extensions relocate --app api`');
    writeFileSync(join(root, 'nx.json'), JSON.stringify({ plugins: ['@fleet/nx-plugin'] }));
    writeFileSync(join(root, 'apps', 'api', 'project.json'), JSON.stringify({ name: '@acme/api' }));
    expect(relocateCommand(config())).toBe('`fleet extensions relocate --app api` (Nx: `nx run @acme/api:extensions-relocate`)');
  });
});
