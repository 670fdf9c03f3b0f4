/**
 * app1 as a user runs it: `nx run app1:migrate` / `app1:status --json` through the Nx executors,
 * against fresh databases on the test server (APP1_*_DATABASE_URL point at them).
 */
import { runNx, parseJsonDocument } from '../../../tools/nx-plugin/test/run-nx';
import { databaseUrl, dropDatabase, query, uniqueName } from '../../../libs/fleet/test/pg';

describe('nx run app1:*', () => {
  const users = uniqueName('fleet_t_app1_users');
  const audit = uniqueName('fleet_t_app1_audit');
  const env = { APP1_USERS_DATABASE_URL: databaseUrl(users), APP1_AUDIT_DATABASE_URL: databaseUrl(audit) };

  afterAll(async () => {
    await dropDatabase(users);
    await dropDatabase(audit);
  });

  it('migrates both databases, each with its own version table, then reports them at head', async () => {
    const first = await runNx(['run', 'app1:migrate'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/ok\s+app1\/users\s+\(none\) -> CreateProjects1764000100000/);
    expect(first.stdout).toMatch(/ok\s+app1\/audit\s+\(none\) -> IndexAuditActor1764000200000/);

    expect(await query(users, 'SELECT name FROM fleet_migrations ORDER BY id')).toEqual([{ name: 'CreateUsers1764000000000' }, { name: 'CreateProjects1764000100000' }]);
    expect(await query(audit, 'SELECT name FROM fleet_migrations ORDER BY id')).toEqual([{ name: 'CreateAuditEvents1764000000000' }, { name: 'IndexAuditActor1764000200000' }]);

    const second = await runNx(['run', 'app1:migrate'], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('0 changed, 2 unchanged');

    const st = await runNx(['run', 'app1:status', '--json'], env);
    expect(st.code).toBe(0);
    const doc = parseJsonDocument(st.stdout);
    expect(doc.targets.map((t: { target: string; state: string }) => [t.target, t.state])).toEqual([
      ['app1/users', 'at-head'],
      ['app1/audit', 'at-head'],
    ]);

    const hist = await runNx(['run', 'app1:history'], env);
    expect(hist.stdout).toContain('CreateProjects1764000100000');

    const back = await runNx(['run', 'app1:revert', '--database=users'], env);
    expect(back.code).toBe(0);
    const check = await runNx(['run', 'app1:status', '--check'], env);
    expect(check.code).not.toBe(0);
    expect(check.stdout).toMatch(/PENDING\s+app1\/users/);
  }, 120_000);
});
