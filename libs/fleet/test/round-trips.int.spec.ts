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
  }, 180_000); // a DROP DATABASE waits for a checkpoint: slow on a busy server

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
    ['all', true, 7],
    ['all', false, 7],
    ['each', true, 13],
  ])(
    `transactionMode '%s', schema existed at discovery: %s -> %i round trips`,
    async (mode, schemas, expected) => {
      project.writeConfig(tenantFleetConfig({ transactionMode: mode }, { discover: { sql: 'SELECT id FROM public.tenants ORDER BY id' }, registry: undefined }));
      const { trips, sql } = await perTenant(schemas as boolean);
      // The tenants are really migrated, their rows recorded.
      expect(await query(db, `SELECT count(*)::int AS n FROM tenant_b2.fleet_migrations WHERE status = 'applied'`)).toEqual([{ n: 3 }]);
      // Where the re-check is due (a schema that existed at discovery), the first new tenant also
      // asks the registry's id type: once per database and run (executor/registration-id.ts).
      const first = expected + (schemas ? 1 : 0);
      if (trips.length !== 3 || trips.some((t, i) => t !== (i === 0 ? first : expected)))
        throw new Error(
          `${trips.join(', ')} round trips per new tenant, expected ${first}, ${expected}, ${expected}; the 3-tenant run sent:\n${sql.map((t) => t.slice(0, 100)).join('\n')}`,
        );
    },
    120_000,
  );

  it('a tenant dropped after discovery is refused by the re-check riding on its first transaction: nothing stays created', async () => {
    // a0's first migration waits (in its transaction, under its lock) until the test has dropped b0 from the registry.
    const gate = globalThis as { roundTripsReached?: boolean; roundTripsGate?: Promise<void> };
    let release!: () => void;
    gate.roundTripsReached = false;
    gate.roundTripsGate = new Promise<void>((r) => (release = r));
    project.writeMigration('tenant', {
      ...TRACK[0],
      members: `  async appliesTo(t: { tenant: string | null }) {
    const g = globalThis as { roundTripsReached?: boolean; roundTripsGate?: Promise<void> };
    if (t.tenant === 'a0') { g.roundTripsReached = true; await g.roundTripsGate; }
    return true;
  }
`,
    });
    project.writeConfig(tenantFleetConfig({ transactionMode: 'all' }, { discover: { sql: 'SELECT id FROM public.tenants ORDER BY id' }, registry: undefined }));
    await migrate(opts());
    await withAdmin(async (c) => {
      await c.query(`INSERT INTO tenants (id) VALUES ('a0'), ('b0')`);
      await c.query('CREATE SCHEMA tenant_a0; CREATE SCHEMA tenant_b0');
    }, db);
    const running = migrate(opts());
    for (const deadline = Date.now() + 60_000; !gate.roundTripsReached; await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > deadline) throw new Error('a0 never started');
    }
    await withAdmin((c) => c.query(`DELETE FROM tenants WHERE id = 'b0'`), db);
    release();
    const report = await running;
    expect(report.results.find((r) => r.tenant === 'a0')).toMatchObject({ outcome: 'changed' });
    expect(report.results.find((r) => r.tenant === 'b0')).toMatchObject({ outcome: 'not-run', failed: { error: { code: 'TENANT_DROPPED' } } });
    expect(await query(db, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'tenant_b0'`)).toEqual([]);
  }, 180_000);

  it('a last COMMIT that fails (a deferred constraint) fails its target; the pool cleans the session and the next tenant runs on it', async () => {
    project.writeMigration('tenant', {
      name: 'DeferredCheck4000',
      up: [
        'CREATE TABLE parents (id int PRIMARY KEY)',
        'CREATE TABLE children (parent int REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)',
        // Only a0 breaks the constraint, and only COMMIT finds out.
        `INSERT INTO children SELECT 1 WHERE current_schema() = 'tenant_a0'`,
      ],
    });
    project.writeConfig(tenantFleetConfig({ transactionMode: 'all' }, { discover: { sql: 'SELECT id FROM public.tenants ORDER BY id' }, registry: undefined }));
    await migrate(opts());
    await withAdmin((c) => c.query(`INSERT INTO tenants (id) VALUES ('a0'), ('b0')`), db);
    const { value: report, sql } = await traced(() => migrate(opts()));
    expect(report.results.find((r) => r.tenant === 'a0')).toMatchObject({ outcome: 'failed', applied: [] });
    // a0's COMMIT carried its clean-up and failed: the pool rolled back and sent the clean-up itself (the same unlock) before b0.
    const failed = sql.findIndex((t) => t.startsWith('COMMIT') && t.includes('pg_advisory_unlock'));
    const unlock = /pg_advisory_unlock\([^)]*\)/.exec(sql[failed])![0];
    expect(sql.slice(failed + 1, failed + 3)).toEqual(['ROLLBACK', expect.stringContaining(unlock)]);
    expect(sql[failed + 2]).toMatch(/RESET ALL$/);
    expect(String(report.results.find((r) => r.tenant === 'a0')!.failed!.error.message)).toMatch(/foreign key/);
    expect(report.results.find((r) => r.tenant === 'b0')).toMatchObject({ outcome: 'changed', applied: [...TRACK.map((m) => m.name), 'DeferredCheck4000'] });
    expect(await query(db, `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'tenant_a0'`)).toEqual([{ n: 0 }]);
    // Fixed, a0 converges.
    project.writeMigration('tenant', { name: 'DeferredCheck4000', up: ['CREATE TABLE parents (id int PRIMARY KEY)'] });
    jest.resetModules(); // the migration is loaded again
    const again = (await migrate({ ...opts(), lockWaitMs: 0 })).results.find((r) => r.tenant === 'a0');
    expect(again).toMatchObject({ outcome: 'changed', failed: null });
  }, 180_000);
});
