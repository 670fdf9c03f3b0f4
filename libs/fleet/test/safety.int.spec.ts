/**
 * Safe by default: the commands an operator types on a bad day never act wider than asked, show
 * their plan, and ask before touching many targets. Each case failed before the fix it names.
 */
import { revert, stamp, migrate, dryRun } from '../src/commands/run-commands';
import { status } from '../src/commands/status';
import { verify } from '../src/commands/verify';
import { MigrationSpec, query, runFleet, tenantFleetConfig, testServer, useFixture, withAdmin } from '../src/testing';

const REGISTRY: MigrationSpec = { name: 'CreateTenants1000', up: ['CREATE TABLE tenants (id text PRIMARY KEY)'], down: ['DROP TABLE tenants'] };
const USERS: MigrationSpec = { name: 'CreateUsers1000', up: ['CREATE TABLE users (id serial PRIMARY KEY)'], down: ['DROP TABLE users'] };
const NICK: MigrationSpec = { name: 'AddNickname2000', up: ['ALTER TABLE users ADD nickname text'], down: ['ALTER TABLE users DROP COLUMN nickname'] };
const BIO: MigrationSpec = { name: 'AddBio3000', up: ['ALTER TABLE users ADD bio text'], down: ['ALTER TABLE users DROP COLUMN bio'] };

describe('safe by default', () => {
  const fx = useFixture('safety');

  beforeEach(async () => {
    fx.project.writeConfig(tenantFleetConfig());
    fx.project.writeMigration('global', REGISTRY);
    for (const m of [USERS, NICK, BIO]) fx.project.writeMigration('tenant', m);
    await migrate(opts());
    await withAdmin((c) => c.query(`INSERT INTO tenants SELECT 't' || g FROM generate_series(1, 6) g`), fx.db);
    await migrate(opts());
  });

  const opts = (extra: Record<string, unknown> = {}) => fx.options(extra);
  const cli = (...args: string[]) => runFleet([...args, '--config', fx.project.path('fleet.config.ts')], fx.env);
  const versions = async () => (await status(opts())).targets.map((t) => `${t.target}@${t.version}`);

  it('revert without --tenant acts on the tenant track only: the registry (global track) is never dropped unless named', async () => {
    const notices: string[] = [];
    const report = await revert(opts({ onEvent: (e: { type: string; message?: string }) => e.type === 'notice' && notices.push(e.message!) }));
    expect(report.results.map((r) => r.target)).toEqual(['fx/main/t1', 'fx/main/t2', 'fx/main/t3', 'fx/main/t4', 'fx/main/t5', 'fx/main/t6']);
    expect(await query(fx.db, `SELECT to_regclass('public.tenants') IS NOT NULL AS present`)).toEqual([{ present: true }]);
    expect(notices.join('\n')).toMatch(/fx\/main has a global and a tenant track: acting on the tenant track only \(pass --track global/);
    // Named, it is reverted, and only it.
    const global = await revert(opts({ track: 'global' }));
    expect(global.results.map((r) => [r.target, r.reverted])).toEqual([['fx/main', ['CreateTenants1000']]]);
  });

  it('an empty --tenant (an unset variable) is a usage error, not "every tenant"; duplicates count once', async () => {
    const before = await versions();
    const empty = await cli('revert', '--tenant', '', '--yes');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/--tenant is empty \(an unset shell variable\?\)/);
    await expect(revert(opts({ tenants: [' ', ''] }))).rejects.toThrow(/--tenant is empty/);
    expect(await versions()).toEqual(before);
    const twice = await revert(opts({ tenants: ['t1', 't1'], databases: ['main', 'main'] }));
    expect(twice.results.map((r) => [r.target, r.reverted])).toEqual([['fx/main/t1', ['AddBio3000']]]);
  });

  it('with --slice i/n a global target belongs to exactly one share', async () => {
    const shares = [await revert(opts({ track: 'global', slice: { index: 1, count: 2 } })), await revert(opts({ track: 'global', slice: { index: 2, count: 2 } }))];
    expect(shares.flatMap((r) => r.results.filter((x) => x.target === 'fx/main')).length).toBe(1);
  });

  it('revert --steps over tenants at different versions refuses and asks for --to; --to takes them all to one place', async () => {
    await revert(opts({ tenants: ['t4', 't5', 't6'] })); // three tenants one version behind
    const before = await versions();
    await expect(revert(opts({ steps: 2 }))).rejects.toThrow(/different versions .*3 at AddBio3000, 3 at AddNickname2000.*revert --to <migration>/);
    expect(await versions()).toEqual(before);
    const to = await revert(opts({ to: 'CreateUsers1000' }));
    expect(to.ok).toBe(true);
    expect(new Set((await status(opts())).targets.filter((t) => t.tenant).map((t) => t.version))).toEqual(new Set(['CreateUsers1000']));
  });

  it('--dry-run prints the plan grouped by version and changes nothing', async () => {
    await revert(opts({ tenants: ['t6'] }));
    const before = await versions();
    const plan = await dryRun('revert', opts({ to: 'CreateUsers1000' }));
    expect(plan.groups.map((g) => [g.count, g.version, g.action])).toEqual([
      [5, 'AddBio3000', 'revert AddBio3000, AddNickname2000'],
      [1, 'AddNickname2000', 'revert AddNickname2000'],
    ]);
    const run = await cli('revert', '--to', 'CreateUsers1000', '--dry-run');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/revert --dry-run: 6 target\(s\), 6 would change; nothing was changed/);
    expect(run.stdout).toMatch(/5 tenants of main \(fx\/main\/t1, fx\/main\/t2, fx\/main\/t3, \.\.\.\) at AddBio3000: revert AddBio3000, AddNickname2000/);
    expect((await dryRun('migrate', opts())).groups.map((g) => [g.count, g.action])).toEqual([
      [1, 'nothing to do'],
      [5, 'nothing to do'],
      [1, 'apply AddBio3000'],
    ]);
    expect(await versions()).toEqual(before);
  });

  it('revert over several targets shows the plan and needs --yes off a terminal; one target needs nothing', async () => {
    const before = await versions();
    const refused = await cli('revert');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/revert --dry-run: 6 target\(s\), 6 would change/);
    expect(refused.stderr).toMatch(/would change 6 targets \(plan above\): pass --yes/);
    expect(await versions()).toEqual(before);
    expect((await cli('revert', '--tenant', 't1')).code).toBe(0);
    // Now at two versions: a bare revert (--steps 1) refuses; --to with --yes goes ahead.
    expect((await cli('revert', '--yes')).stderr).toMatch(/different versions/);
    expect((await cli('revert', '--to', 'AddNickname2000', '--yes')).code).toBe(0);
    expect(new Set((await status(opts())).targets.filter((t) => t.tenant).map((t) => t.version))).toEqual(new Set(['AddNickname2000']));
  });

  it('a checksum error hints a stamp scoped to that target; run as printed it touches nothing else, and stamp never forgets applied migrations without --force', async () => {
    await revert(opts({ tenants: ['t1', 't2'] }));
    await withAdmin((c) => c.query(`UPDATE tenant_t3.fleet_migrations SET checksum = 'edited' WHERE name = 'AddNickname2000'`), fx.db);
    // Changed behind Fleet's back: status answers from the fleet index, and says it was never verified;
    // the next verify reads every version table, finds the edit and brings the index in line.
    expect((await status(opts())).index!.warnings.join('\n')).toMatch(/never verified/);
    const proved = await verify(opts());
    expect(proved.ok).toBe(false);
    const st = await status(opts());
    const hint = st.targets.find((t) => t.target === 'fx/main/t3')!.findings[0].message;
    const printed = /`fleet (stamp [^`]+)`/.exec(hint)![1];
    expect(printed).toBe('stamp --app fx --only fx/main/t3 --to AddBio3000');
    const before = await versions();
    const run = await cli(...printed.split(' ').filter((a) => a !== '--app' && a !== 'fx'));
    expect(run.code).toBe(0);
    expect(await versions()).toEqual(before); // t3 accepted its checksum; t1, t2 still one behind
    expect((await status(opts())).targets.find((t) => t.target === 'fx/main/t3')!.state).toBe('at-head');
    // Stamping the fleet back would un-record applied migrations: blocked, nothing forgotten.
    const back = await stamp({ ...opts(), to: 'CreateUsers1000' });
    expect(back.results.every((r) => r.outcome === 'blocked' || r.outcome === 'unchanged')).toBe(true);
    expect(await versions()).toEqual(before);
  });

  it('a registered tenant whose schema is gone is "missing" (not pending) and is not re-created without --create-missing; a tenant-shaped schema nobody owns is an orphan', async () => {
    await withAdmin(async (c) => {
      await c.query('DROP SCHEMA tenant_t3 CASCADE'); // lost outside Fleet
      await c.query('CREATE SCHEMA tenant_ghost'); // left behind by someone
    }, fx.db);
    const st = await status(opts());
    expect(st.targets.find((t) => t.target === 'fx/main/t3')).toMatchObject({ state: 'missing' });
    expect(st.next.join('\n')).toMatch(/1 registered tenant\(s\) missing .*--create-missing/);
    expect(st.orphans).toEqual([{ database: 'main', name: 'tenant_ghost' }]);
    expect(st.ok).toBe(false);
    const verified = await cli('verify');
    expect(verified.code).toBe(1);
    expect(verified.stdout).toMatch(/STRAGGLER fx\/main\/t3: missing/);
    expect(verified.stdout).toMatch(/ORPHAN fx\/main: tenant_ghost/);
    const run = await migrate(opts());
    expect(run.results.find((r) => r.target === 'fx/main/t3')).toMatchObject({ outcome: 'failed', failed: { error: { code: 'TENANT_MISSING' } } });
    expect(await query(fx.db, `SELECT 1 FROM pg_namespace WHERE nspname = 'tenant_t3'`)).toEqual([]);
    // A new registration is not missing: it is created as usual.
    await withAdmin((c) => c.query(`INSERT INTO tenants VALUES ('t7')`), fx.db);
    expect((await migrate(opts({ tenants: ['t7'] }))).results.find((r) => r.target === 'fx/main/t7')!.outcome).toBe('changed');
    const recreated = await migrate(opts({ createMissing: true }));
    expect(recreated.results.find((r) => r.target === 'fx/main/t3')).toMatchObject({ outcome: 'changed', applied: ['CreateUsers1000', 'AddNickname2000', 'AddBio3000'] });
  });

  it('a tenant dropped while a migrate waits for its lock is not re-created', async () => {
    const { targetLockKey } = await import('../src/locking/target-lock');
    fx.project.writeMigration('tenant', { name: 'AddAge4000', up: ['ALTER TABLE users ADD age int'], down: ['ALTER TABLE users DROP COLUMN age'] });
    const key = targetLockKey(fx.db, 'tenant_t2', 'fleet_migrations');
    const holder = await openDropper(fx.db, key);
    const running = migrate(opts({ lockWaitMs: 20_000 }));
    // Drop t2 only once the run has planned it: another tenant already has the new column.
    // (A fixed sleep lost the race on a loaded machine: t2 was gone before discovery.)
    const planned = async () => (await query(fx.db, `SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'age'`)).length > 0;
    for (const deadline = Date.now() + 15_000; !(await planned());) {
      if (Date.now() > deadline) throw new Error('the migrate never started on the other tenants');
      await new Promise((r) => setTimeout(r, 50));
    }
    await holder.query('DROP SCHEMA tenant_t2 CASCADE');
    await holder.query(`DELETE FROM tenants WHERE id = 't2'`);
    await holder.query('SELECT pg_advisory_unlock($1::int4, $2::int4)', [key.classId, key.objectId]);
    await holder.end();
    const report = await running;
    expect(report.results.find((r) => r.target === 'fx/main/t2')).toMatchObject({ outcome: 'not-run', failed: { error: { code: 'TENANT_DROPPED' } } });
    expect(await query(fx.db, `SELECT 1 FROM pg_namespace WHERE nspname = 'tenant_t2'`)).toEqual([]);
    expect(report.results.filter((r) => r.outcome === 'changed').length).toBe(5);
  });
});

async function openDropper(database: string, key: { classId: number; objectId: number }) {
  const { Client } = await import('pg');
  const c = new Client({ ...testServer(), database });
  await c.connect();
  await c.query('SELECT pg_advisory_lock($1::int4, $2::int4)', [key.classId, key.objectId]);
  return c;
}
