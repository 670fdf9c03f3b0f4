/**
 * The registration re-check of a new tenant against a registry whose ids are integers (issue 21:
 * compared as text, every re-check read the whole registry, so a first migrate of N new tenants
 * cost N x the registry). Real PostgreSQL: the plan uses the registry's index, the answers are the
 * same as before, and a migrate of new tenants from such a registry works end to end.
 */
import { Client } from 'pg';
import { migrate } from '../src/commands/run-commands';
import { discoveryIdType, idMatches } from '../src/executor/registration-id';
import { createDatabase, databaseUrl, dropDatabase, FixtureProject, query, tenantFleetConfig, testServer, WORKSPACE_ROOT, withAdmin } from '../src/testing';

const DISCOVER = 'SELECT id FROM public.registry ORDER BY id';
const SETTING = `pg_catalog.current_setting('fleet.registration_id')`;

describe('registration re-check by the registry id type', () => {
  let db: string;
  let client: Client;
  let sent: string[];
  const session = { query: async <T>(sql: string, params?: readonly unknown[]) => (sent.push(sql), (await client.query(sql, params as unknown[])).rows as T[]) };

  beforeEach(async () => {
    db = await createDatabase('fleet_t_regid');
    client = new Client({ ...testServer(), database: db });
    await client.connect();
    sent = [];
    await client.query('CREATE TABLE registry (id bigint PRIMARY KEY); INSERT INTO registry SELECT generate_series(1, 20000); ANALYZE registry');
  });
  afterEach(async () => {
    await client.end();
    await dropDatabase(db);
  }, 120_000);

  const registered = async (predicate: string, id: string) => {
    await client.query(`SELECT pg_catalog.set_config('fleet.registration_id', $1, false)`, [id]);
    return (await client.query(`SELECT EXISTS (SELECT 1 FROM (${DISCOVER}) AS fleet_discovery WHERE ${predicate}) AS r`)).rows[0].r as boolean;
  };

  it('an integer id is compared in its own type, by the index; the answers are the same as by text', async () => {
    const owner = {};
    expect(await discoveryIdType(owner, session, DISCOVER)).toBe('bigint');
    expect(await discoveryIdType(owner, session, DISCOVER)).toBe('bigint');
    expect(sent).toHaveLength(1); // asked once per owner (a database's pool) and query
    const typed = idMatches('bigint', SETTING);
    await client.query(`SELECT pg_catalog.set_config('fleet.registration_id', '12345', false)`);
    const plan = (await client.query(`EXPLAIN SELECT EXISTS (SELECT 1 FROM (${DISCOVER}) AS fleet_discovery WHERE ${typed})`)).rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/Index Cond: \(id = \(current_setting/);
    const asText = idMatches(null, SETTING);
    for (const id of ['1', '12345', '20000', '20001', '0']) expect(await registered(typed, id)).toBe(await registered(asText, id));
    expect(await registered(typed, '12345')).toBe(true);
    expect(await registered(typed, '20001')).toBe(false);
  });

  it('a text id keeps the text comparison; an empty registry or a failing query falls back to it', async () => {
    await client.query('CREATE TABLE names (id text PRIMARY KEY)');
    expect(await discoveryIdType({}, session, 'SELECT id FROM public.names')).toBeNull(); // no row: nothing to learn
    await client.query(`INSERT INTO names VALUES ('acme')`);
    const type = await discoveryIdType({}, session, 'SELECT id FROM public.names');
    expect(type).toBe('text');
    expect(idMatches(type, '$1')).toBe('fleet_discovery.id::text = $1');
    expect(await discoveryIdType({}, session, 'SELECT id FROM public.no_such_table')).toBeNull();
    expect(idMatches('uuid', '$1')).toBe('fleet_discovery.id::text = $1'); // only listed casts are ever written
  });

  it('new tenants from an integer registry are migrated, each re-checked under its lock', async () => {
    const project = new FixtureProject('registration-id');
    try {
      project.writeMigration('global', { name: 'CreateSettings1000', up: ['CREATE TABLE settings (k text PRIMARY KEY)'], down: ['DROP TABLE settings'] });
      project.writeMigration('tenant', { name: 'CreateUsers1000', up: ['CREATE TABLE users (id serial PRIMARY KEY)'], down: ['DROP TABLE users'] });
      project.writeConfig(tenantFleetConfig({}, { discover: { sql: DISCOVER }, registry: undefined, schemaTemplate: 'tenant_{id}' }));
      await withAdmin((c) => c.query('CREATE SCHEMA tenant_7; CREATE SCHEMA tenant_8; CREATE SCHEMA tenant_9'), db);
      await client.query('DELETE FROM registry WHERE id > 9');
      const report = await migrate({ config: project.path('fleet.config.ts'), workspaceRoot: WORKSPACE_ROOT, env: { FX_MAIN_URL: databaseUrl(db) } });
      expect(report.summary).toMatchObject({ failed: 0 });
      expect(report.results.filter((r) => r.tenant !== null && r.outcome === 'changed').map((r) => r.tenant)).toEqual(expect.arrayContaining(['7', '8', '9']));
      expect(await query(db, `SELECT count(*)::int AS n FROM tenant_8.fleet_migrations WHERE status = 'applied'`)).toEqual([{ n: 1 }]);
    } finally {
      project.remove();
    }
  }, 120_000);
});
