/**
 * Round trips per new tenant (issue 21: a fresh migrate at the psql bound is a matter of round
 * trips, not CPU). Every query the pg client sends during a migrate is traced; a target's own
 * statements run from the one that tries its lock to the pool's clean-up that releases it
 * (concurrency 1: the targets do not interleave). A regression guard: a change that adds a
 * statement to every new tenant fails here with the statements listed.
 */
import { Client } from 'pg';
import { migrate } from '../src/commands/run-commands';
import { databaseUrl, dropDatabase, FixtureProject, MigrationSpec, query, tenantFleetConfig, uniqueName, WORKSPACE_ROOT, withAdmin } from '../src/testing';

const REGISTRY: MigrationSpec = { name: 'CreateTenants1000', up: ['CREATE TABLE tenants (id text PRIMARY KEY)'], down: ['DROP TABLE tenants'] };
/** The fixed 3-migration tenant track: one statement each. */
const TRACK: MigrationSpec[] = [
  { name: 'CreateUsers1000', up: ['CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL)'] },
  { name: 'CreateNotes2000', up: ['CREATE TABLE notes (id serial PRIMARY KEY, user_id int REFERENCES users(id))'] },
  { name: 'AddUserName3000', up: ['ALTER TABLE users ADD COLUMN name text'] },
];

/** Counts (and keeps the text of) every query any pg client sends while fn runs. */
async function traced<T>(fn: () => Promise<T>): Promise<{ value: T; sql: string[] }> {
  const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const sql: string[] = [];
  proto.query = function (this: Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string };
    sql.push((typeof first === 'string' ? first : (first?.text ?? '?')).replace(/\s+/g, ' '));
    return original.apply(this, args);
  };
  try {
    return { value: await fn(), sql };
  } finally {
    proto.query = original;
  }
}

describe('round trips per new tenant', () => {
  let project: FixtureProject;
  let db: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    project = new FixtureProject('round-trips');
    db = uniqueName('fleet_t_trips');
    env = { FX_MAIN_URL: databaseUrl(db) };
    project.writeMigration('global', REGISTRY);
    for (const m of TRACK) project.writeMigration('tenant', m);
  });
  afterEach(async () => {
    project.remove();
    await dropDatabase(db);
  });

  const opts = () => ({ config: project.path('fleet.config.ts'), workspaceRoot: WORKSPACE_ROOT, env, concurrency: 1 });

  /** Statements sent for `count` new tenants (their schemas created empty beforehand when `schemas`, as the bench does). */
  async function run(prefix: string, count: number, schemas: boolean): Promise<string[]> {
    const ids = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
    await withAdmin(async (c) => {
      await c.query('INSERT INTO tenants (id) SELECT unnest($1::text[])', [ids]);
      if (schemas) for (const id of ids) await c.query(`CREATE SCHEMA "tenant_${id}"`);
    }, db);
    const { value: report, sql } = await traced(() => migrate(opts()));
    expect(report.summary).toMatchObject({ changed: count, failed: 0 });
    return sql;
  }

  /**
   * Per new tenant: the statements from the one that takes its lock to the one that releases it
   * (the pool's clean-up), for each of 3 new tenants migrated one after the other.
   */
  async function perTenant(schemas: boolean): Promise<{ trips: number[]; sql: string[] }> {
    await migrate(opts()); // the registry, the fleet index: the fixed cost is paid before counting
    const sql = await run('b', 3, schemas);
    const trips: number[] = [];
    let open = -1;
    sql.forEach((text, i) => {
      if (text.includes('pg_try_advisory_lock')) open = i;
      if (open >= 0 && text.includes('pg_advisory_unlock')) {
        trips.push(i - open + 1);
        open = -1;
      }
    });
    return { trips: trips.slice(-3), sql }; // the global target (at head) comes first
  }

  it.each([
    ['all', true, 10],
    ['all', false, 9],
    ['each', true, 16],
  ])(
    `transactionMode '%s', schema existed at discovery: %s -> %i round trips`,
    async (mode, schemas, expected) => {
      project.writeConfig(tenantFleetConfig({ transactionMode: mode }, { discover: { sql: 'SELECT id FROM public.tenants ORDER BY id' }, registry: undefined }));
      const { trips, sql } = await perTenant(schemas as boolean);
      // The tenants are really migrated, their rows recorded.
      expect(await query(db, `SELECT count(*)::int AS n FROM tenant_b2.fleet_migrations WHERE status = 'applied'`)).toEqual([{ n: 3 }]);
      if (trips.length !== 3 || trips.some((t) => t !== expected))
        throw new Error(`${trips.join(', ')} round trips per new tenant, expected ${expected}; the 3-tenant run sent:\n${sql.map((t) => t.slice(0, 100)).join('\n')}`);
    },
    120_000,
  );
});
