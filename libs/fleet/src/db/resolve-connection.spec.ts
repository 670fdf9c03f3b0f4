import { validateConfig } from '../config/load-config';
import { databaseName, resolveConnection } from './resolve-connection';

/** One database as a config declares it, loaded with every default. */
function database(entry: Record<string, unknown>) {
  return validateConfig({ app: 'billing', databases: { main: { migrations: './migrations', ...entry } } }, '/w/apps/billing/fleet.config.ts', '/w').databases[0];
}

describe('the database a connection names', () => {
  it('databaseEnv wins when set, with the config`s database as its fallback', () => {
    const db = database({ databaseEnv: 'BILLING_DB', database: 'billing' });
    expect(databaseName(db, { BILLING_DB: 'billing_eu' })).toEqual({ name: 'billing_eu', from: 'BILLING_DB' });
    expect(databaseName(db, {})).toEqual({ name: 'billing', from: 'databases.main.database, as BILLING_DB is not set' });
    expect(resolveConnection(db, { PGHOST: 'db.internal', BILLING_DB: 'billing_eu' })).toMatchObject({
      kind: 'libpq',
      spec: { host: 'db.internal', database: 'billing_eu' },
      databaseFrom: 'BILLING_DB',
    });
    expect(resolveConnection(db, {})).toEqual({ kind: 'embedded', database: 'billing', databaseFrom: 'databases.main.database, as BILLING_DB is not set' });
  });

  it('never guesses <app>_<key> when a variable names the database and is not set', () => {
    const db = database({ databaseEnv: 'BILLING_DB' });
    expect(db.database).toBe('billing_main');
    expect(() => resolveConnection(db, { PGHOST: 'db.internal' })).toThrow(/BILLING_DB is not set: it names the database of main \(databases\.main\.databaseEnv\)/);
    expect(() => databaseName(db, { BILLING_DB: 'billing; drop' })).toThrow(/BILLING_DB="billing; drop" is not a database name/);
  });

  it('a URL names its own database; without databaseEnv the config`s name (or its default) is used', () => {
    const db = database({ databaseEnv: 'BILLING_DB', urlEnv: 'BILLING_URL' });
    expect(resolveConnection(db, { BILLING_URL: 'postgres://u@h:5433/from_url' })).toMatchObject({ kind: 'url', spec: { database: 'from_url' }, databaseFrom: 'BILLING_URL' });
    expect(resolveConnection(database({}), { PGHOST: 'h' })).toMatchObject({ spec: { database: 'billing_main' } });
    expect(resolveConnection(database({ database: 'ledger' }), {})).toMatchObject({ kind: 'embedded', database: 'ledger' });
  });

  it('refuses a databaseEnv that is not a variable name', () => {
    expect(() => database({ databaseEnv: 'process.env.X' })).toThrow(/databases\.main\.databaseEnv: must be an environment variable name/);
  });
});
