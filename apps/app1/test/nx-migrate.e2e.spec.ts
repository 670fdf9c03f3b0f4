/**
 * app1 as a user runs it: `nx run app1:migrate` / `app1:status --json` through the Nx executors,
 * against fresh databases on the test server (APP1_*_DATABASE_URL point at them).
 */
import { runNx, parseJsonDocument } from '../../../tools/nx-plugin/test/run-nx';
import { databaseUrl, dropDatabase, query, uniqueName } from '@fleet/core/testing';

describe('nx run app1:*', () => {
  const users = uniqueName('fleet_t_app1_users');
  const audit = uniqueName('fleet_t_app1_audit');
  const env = { APP1_USERS_DATABASE_URL: databaseUrl(users), APP1_AUDIT_DATABASE_URL: databaseUrl(audit) };

  afterAll(async () => {
    await dropDatabase(users);
    await dropDatabase(audit);
  });

  it('migrates the global track, every tenant schema and the audit database, then reports them at head', async () => {
    const first = await runNx(['run', 'app1:migrate'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/ok\s+app1\/users\s+\(none\) -> CreateTenants1763900000000/);
    expect(first.stdout).toMatch(/ok\s+app1\/audit\s+\(none\) -> IndexAuditActor1764000200000/);
    expect(await query(audit, 'SELECT name FROM fleet_migrations ORDER BY seq')).toEqual([{ name: 'CreateAuditEvents1764000000000' }, { name: 'IndexAuditActor1764000200000' }]);

    // Tenants registered in the global schema are migrated by the next run, each in its own schema.
    await query(users, `INSERT INTO tenants (id, plan) VALUES ('acme', 'pro'), ('globex', 'free')`);
    const second = await runNx(['run', 'app1:migrate'], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/ok\s+app1\/users\/acme\s+\(none\) -> CreateProjects1764000100000/);
    expect(await query(users, 'SELECT name FROM tenant_globex.fleet_migrations ORDER BY seq')).toEqual([
      { name: 'CreateUsers1764000000000' },
      { name: 'CreateProjects1764000100000' },
    ]);

    const st = await runNx(['run', 'app1:status', '--json'], env);
    expect(st.code).toBe(0);
    const doc = parseJsonDocument(st.stdout);
    expect(doc.targets.map((t: { target: string; state: string; schema: string }) => [t.target, t.schema, t.state])).toEqual([
      ['app1/users', 'public', 'at-head'],
      ['app1/audit', 'public', 'at-head'],
      ['app1/users/acme', 'tenant_acme', 'at-head'],
      ['app1/users/globex', 'tenant_globex', 'at-head'],
    ]);
    expect((await runNx(['run', 'app1:verify'], env)).code).toBe(0);

    // Onboarding through Nx, then the real entities match every database and tenant shape.
    const created = await runNx(['run', 'app1:tenant-create', '--id=initech', '--attr=plan=pro'], env);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('tenant initech: created in tenant_initech');
    const drift = await runNx(['run', 'app1:drift'], env);
    expect(drift.stdout).toContain('drift: 5 target(s): 5 clean');
    expect(drift.code).toBe(0);
    await query(users, `DROP TABLE tenant_initech.projects`);
    expect((await runNx(['run', 'app1:tenant-drop', '--id=initech', '--yes'], env)).code).toBe(0);

    // A typo'd option is an error, never silently dropped (it would have reverted every target).
    const typo = await runNx(['run', 'app1:revert', '--tenat=acme', '--yes'], env);
    expect(typo.code).not.toBe(0);
    expect(`${typo.stdout}${typo.stderr}`).toMatch(/'tenat' is not found in schema/);
    const back = await runNx(['run', 'app1:revert', '--database=users', '--tenant=acme'], env);
    expect(back.code).toBe(0);
    const check = await runNx(['run', 'app1:status', '--check'], env);
    expect(check.code).not.toBe(0);
    expect(check.stdout).toMatch(/PENDING\s+app1\/users\/acme/);
    const verify = await runNx(['run', 'app1:verify'], env);
    expect(verify.code).not.toBe(0);
    expect(verify.stdout).toContain('STRAGGLER app1/users/acme');
  }, 120_000);
});
