import { validateConfig } from '../config/load-config';
import { canStartWith, idForName, templateProblem } from './reserved-names';

const config = (tenants: Record<string, unknown>, db: Record<string, unknown> = {}, more: Record<string, unknown> = {}) => ({
  app: 'x',
  databases: { main: { migrations: './m', ...db, tenants: { strategy: 'schema', migrations: './t', discover: { list: [] }, ...tenants } }, ...more },
});
const problemsOf = (raw: unknown): string[] => {
  try {
    validateConfig(raw, '/ws/fleet.config.ts', '/ws');
    return [];
  } catch (e) {
    return (e as { details: { problems: Array<{ field: string; problem: string }> } }).details.problems.map((p) => `${p.field}: ${p.problem}`);
  }
};

describe('tenant templates that could name what is not a tenant', () => {
  it("refuses schemaTemplate '{id}': public, pg_catalog and the shared schema would be tenants", () => {
    const [problem, ...rest] = problemsOf(config({ schemaTemplate: '{id}' }));
    expect(rest).toEqual([]);
    expect(problem).toMatch(/^databases\.main\.tenants\.schemaTemplate: must have a fixed part around \{id\} \(e\.g\. "tenant_\{id\}"\)/);
  });

  it('refuses templates that can give a pg_ name, a shared schema, the registry or the database schema', () => {
    expect(problemsOf(config({ schemaTemplate: 'pg_{id}' }))[0]).toMatch(/can give a "pg_" name/);
    expect(problemsOf(config({ schemaTemplate: 'p{id}' }))[0]).toMatch(/can give a "pg_" name/); // id "g_x"
    expect(problemsOf(config({ schemaTemplate: '{id}_tenant' }))[0]).toMatch(/can give a "pg_" name/); // id "pg" gives pg_tenant
    expect(problemsOf(config({ schemaTemplate: 'ext{id}' }))[0]).toMatch(/gives extensions for the tenant id "ensions"/);
    expect(problemsOf(config({ schemaTemplate: 's_{id}', sharedSchemas: ['s_common'] }))[0]).toMatch(/gives s_common for the tenant id "common"/);
    expect(problemsOf(config({ schemaTemplate: 'app_{id}' }, { schema: 'app_core' }))[0]).toMatch(/gives app_core for the tenant id "core"/);
    expect(problemsOf(config({ schemaTemplate: 'pub{id}' }))[0]).toMatch(/gives public for the tenant id "lic"/);
    expect(problemsOf(config({}, { schema: 'tenant_main' }))[0]).toMatch(/gives tenant_main .*\(the default "tenant_\{id\}"\)$/);
  });

  it('refuses database templates that can name one of the app databases or the server own', () => {
    const db = (tenants: Record<string, unknown>, more: Record<string, unknown> = {}) => config({ strategy: 'database', ...tenants }, { database: 'app' }, more);
    expect(problemsOf(db({ databaseTemplate: '{id}' }))[0]).toMatch(/must have a fixed part/);
    expect(problemsOf(db({ databaseTemplate: 'template{id}' }))[0]).toMatch(/gives template0 for the tenant id "0", template1/);
    expect(problemsOf(db({}, { billing: { migrations: './b', database: 'app_billing' } }))[0]).toMatch(
      /databases\.main\.tenants\.databaseTemplate: gives app_billing for the tenant id "billing".*\(the default "app_\{id\}"\)/,
    );
  });

  it('accepts the usual templates', () => {
    expect(problemsOf(config({}))).toEqual([]);
    expect(problemsOf(config({ schemaTemplate: 't_{id}' }))).toEqual([]);
    expect(problemsOf(config({ schemaTemplate: 'c_{id}_tenant' }))).toEqual([]);
    expect(problemsOf(config({ strategy: 'database' }, { database: 'app' }))).toEqual([]);
    expect(templateProblem('customer_{id}_data', 'schema', ['public', 'extensions'])).toBeNull();
  });

  it('knows which names a template gives (orphan detection counts only those)', () => {
    expect(idForName('{id}', 'pg_catalog')).toBeNull();
    expect(idForName('{id}', 'public')).toBeNull();
    expect(idForName('tenant_{id}', 'tenant_acme')).toBe('acme');
    expect(idForName('tenant_{id}', 'tenant_')).toBeNull();
    expect(canStartWith('tenant_{id}', 'pg_')).toBe(false);
    expect(canStartWith('pg{id}', 'pg_')).toBe(false); // an id never starts with "_"
  });
});
