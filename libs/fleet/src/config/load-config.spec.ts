import { validateConfig } from './load-config';

const validate = (raw: unknown) => validateConfig(raw, '/ws/apps/x/fleet.config.ts', '/ws');

describe('config validation (no database)', () => {
  it('reports every problem at once, each with its path', () => {
    let error: { message: string; details: { problems: Array<{ field: string }> } } | undefined;
    try {
      validate({
        app: 'x',
        databases: {
          users: {
            migrations: './m',
            lockWaitMs: -1,
            shards: 2,
            tenants: { strategy: 'schemas', migrations: './t', discover: { sql: 'SELECT id FROM t' }, registry: { table: 'a-b' } },
          },
          audit: { migrations: 7, transactionMod: 'all', extensions: ['pg_trgm', 'Bad Name'] },
        },
      });
    } catch (e) {
      error = e as typeof error;
    }
    expect(error!.details.problems.map((p) => p.field)).toEqual([
      'databases.users.lockWaitMs',
      'databases.users.tenants.strategy',
      'databases.users.tenants.registry.table',
      'databases.audit.transactionMod',
      'databases.audit.migrations',
      'databases.audit.extensions[1]',
      'databases.users.shards', // across fields: shards and tenants
    ]);
    expect(error!.message).toMatch(/^Invalid Fleet config apps\/x\/fleet.config.ts, 7 problems:\n {2}- databases.users.lockWaitMs: must be a number >= 0/);
    expect(error!.message).toContain('databases.users.tenants.strategy: must be one of "schema", "database"');
  });

  it('fills every default of a valid config', () => {
    const config = validate({ app: 'x', databases: { main: { migrations: './m', tenants: { strategy: 'schema', migrations: './t', discover: { list: ['a'] } } } } });
    expect(config.databases[0]).toMatchObject({
      database: 'x_main',
      versionTable: 'fleet_migrations',
      lockTimeoutMs: 1000,
      retries: { count: 10, windowMs: 600000, maxLockTimeoutMs: 5000 },
      tenants: { schemaTemplate: 'tenant_{id}', sharedSchemas: ['extensions'] },
    });
  });
});

describe('config types come from the schema', () => {
  it('a required field missing and an unknown key are named; a valid config keeps its shape', () => {
    expect(() => validate({ app: 'x', databases: { main: { migration: './m' } } })).toThrow(
      /databases.main.migration: is not a known option .*\n {2}- databases.main.migrations: is required \(the path of the migrations directory\)/,
    );
    expect(() => validate('nope')).toThrow(/the default export: must be an object \(export default defineFleetConfig/);
  });
});
