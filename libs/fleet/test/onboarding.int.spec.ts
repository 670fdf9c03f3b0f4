/** Tenant onboarding and removal on the real server, and hostile tenant ids. */
import { createTenant, dropTenant } from '../src/commands/tenants';
import { status } from '../src/commands/status';
import { InvalidIdentifierError } from '../src/errors';
import { LINT_ALLOW, query, runFleet, tenantFleetConfig, useFixture } from '../src/testing';

export const HOSTILE_IDS = [
  'acme"',
  'a;b',
  '"; DROP SCHEMA public; --',
  "x'; DROP TABLE tenants; --",
  'public',
  'pg_catalog',
  'information_schema',
  'a'.repeat(64),
  'Acme',
  '\u0430cme', // Cyrillic "а": looks like "acme"
  'ac me',
  '',
  '_hidden',
];

describe('tenant onboarding', () => {
  const fx = useFixture('onboarding');

  beforeEach(() => {
    const project = fx.project;
    project.writeConfig(tenantFleetConfig({}, { discover: { sql: 'SELECT id, plan FROM tenants ORDER BY id' } }));
    project.writeMigration('global', { name: 'CreateTenants1000', up: [`CREATE TABLE tenants (id text PRIMARY KEY, plan text NOT NULL DEFAULT 'free')`] });
    project.writeMigration('tenant', {
      name: 'CreateUsers1000',
      up: ['CREATE TABLE users (id serial PRIMARY KEY)', 'INSERT INTO public.onboarded VALUES (current_schema())'],
      members: LINT_ALLOW,
    });
    project.writeMigration('tenant', {
      name: 'ProOnly2000',
      up: ['CREATE TABLE reports (id int)'],
      members: "  appliesTo(t: { attributes: Record<string, unknown> }) {\n    return t.attributes.plan === 'pro' || 'pro plan only';\n  }\n",
    });
    project.writeMigration('global', { name: 'Counter2000', up: ['CREATE TABLE onboarded (tenant text)'] });
  });
  const opts = () => fx.options();

  it('creates a tenant through the same migrations as every tenant, idempotently, and status shows it at head', async () => {
    const first = await createTenant({ ...opts(), id: 'acme', attributes: { plan: 'pro' } });
    expect(first).toMatchObject({ tenant: 'acme', target: 'fx/main/acme', location: 'tenant_acme', registered: true, applied: ['CreateUsers1000', 'ProOnly2000'] });
    expect(await query(fx.db, 'SELECT id, plan FROM tenants')).toEqual([{ id: 'acme', plan: 'pro' }]);

    const again = await createTenant({ ...opts(), id: 'acme', attributes: { plan: 'pro' } });
    expect(again).toMatchObject({ registered: false, applied: [] });

    const st = await status(opts());
    expect(st.targets.find((t) => t.tenant === 'acme')).toMatchObject({ state: 'at-head', applied: ['CreateUsers1000', 'ProOnly2000'] });
    expect(await query(fx.db, 'SELECT count(*)::int AS n FROM onboarded')).toEqual([{ n: 1 }]);
  });

  it('is safe when two calls race for the same id', async () => {
    const results = await Promise.all([createTenant({ ...opts(), id: 'race' }), createTenant({ ...opts(), id: 'race' })]);
    expect(results.map((r) => r.registered).sort()).toEqual([false, true]);
    expect(await query(fx.db, 'SELECT tenant FROM onboarded')).toEqual([{ tenant: 'tenant_race' }]);
    expect(await query(fx.db, 'SELECT name, status FROM tenant_race.fleet_migrations ORDER BY seq')).toEqual([
      { name: 'CreateUsers1000', status: 'applied' },
      { name: 'ProOnly2000', status: 'skipped' },
    ]);
  });

  it.each(HOSTILE_IDS)('rejects the id %j before any SQL runs', async (id) => {
    // An unreachable server proves it: validation fails before any connection is attempted.
    const unreachable = { ...opts(), env: { FX_MAIN_URL: 'postgres://root@127.0.0.1:1/nowhere' } };
    await expect(createTenant({ ...unreachable, id })).rejects.toBeInstanceOf(InvalidIdentifierError);
    await expect(createTenant({ ...unreachable, id })).rejects.toThrow(/Allowed: 1 to 63 bytes of lower-case letters/);
    await expect(dropTenant({ ...unreachable, id, confirm: true })).rejects.toBeInstanceOf(InvalidIdentifierError);
  });

  it('drops a tenant only with confirmation, refuses unknown tenants, and removes schema and registry row', async () => {
    await createTenant({ ...opts(), id: 'gone' });
    await expect(dropTenant({ ...opts(), id: 'gone', confirm: false })).rejects.toThrow(/Pass --yes/);
    await expect(dropTenant({ ...opts(), id: 'nobody', confirm: true })).rejects.toThrow(/Unknown tenant nobody/);
    expect(await query(fx.db, `SELECT 1 FROM pg_namespace WHERE nspname = 'tenant_gone'`)).toHaveLength(1);
    expect(await dropTenant({ ...opts(), id: 'gone', confirm: true })).toEqual({ tenant: 'gone', dropped: 'schema tenant_gone' });
    expect(await query(fx.db, `SELECT 1 FROM pg_namespace WHERE nspname = 'tenant_gone'`)).toHaveLength(0);
    expect(await query(fx.db, 'SELECT id FROM tenants')).toEqual([]);
  });

  it('works from the CLI: tenant create with attributes, a hostile id exits 2 with the rule', async () => {
    const ok = await runFleet(['tenant', 'create', 'globex', '--config', fx.project.path('fleet.config.ts'), '--attr', 'plan=pro'], fx.env);
    expect(ok.stdout).toContain('tenant globex: created in tenant_globex');
    expect(ok.code).toBe(0);
    const twice = await runFleet(['tenant', 'create', 'globex', '--config', fx.project.path('fleet.config.ts')], fx.env);
    expect(twice.code).toBe(0);
    expect(twice.stdout).toContain('already existed');
    const bad = await runFleet(['tenant', 'create', '"; DROP SCHEMA public; --', '--config', fx.project.path('fleet.config.ts')], fx.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Invalid tenant id');
    const drop = await runFleet(['tenant', 'drop', 'globex', '--config', fx.project.path('fleet.config.ts')], fx.env);
    expect(drop.code).toBe(2);
    expect(drop.stderr).toContain('Pass --yes');
  });
});
