/**
 * Every command Fleet prints as a hint is run here as printed, through the CLI and through Nx, and
 * acts on what it names and nothing else: status's "next:" (both forms), a finding's stamp hint
 * (and its `nx run` form), and the one-target selection hints print (`--only`, never `--target`,
 * which `nx run` keeps for itself).
 */
import { runNx } from '../../../tools/nx-plugin/test/run-nx';
import { databaseUrl, dropDatabase, query, runFleet, uniqueName } from '@fleet/core/testing';

const HEAD = ['CreateUsers1764000000000', 'CreateProjects1764000100000'];

/** `fleet stamp --app app1 --only x --to y` as `nx run app1:stamp --only=x --to=y`. */
function asNx(cli: string): string[] {
  const words = cli.split(/\s+/).slice(1);
  const verb: string[] = [];
  while (words.length && !words[0].startsWith('--')) verb.push(words.shift() as string);
  const args: string[] = [];
  let app = '';
  while (words.length) {
    const flag = words.shift() as string;
    const value = words.length && !words[0].startsWith('--') ? (words.shift() as string) : undefined;
    if (flag === '--app') app = value as string;
    else args.push(value === undefined ? flag : `${flag}=${value}`);
  }
  return ['run', `${app}:${verb.join('-')}`, ...args];
}

describe('hints run as printed (app1)', () => {
  const users = uniqueName('fleet_t_hints_users');
  const audit = uniqueName('fleet_t_hints_audit');
  const env = { APP1_USERS_DATABASE_URL: databaseUrl(users), APP1_AUDIT_DATABASE_URL: databaseUrl(audit) };
  const tenantVersions = async (tenant: string) => (await query(users, `SELECT name FROM tenant_${tenant}.fleet_migrations ORDER BY seq`)).map((r) => r.name);

  afterAll(async () => {
    await dropDatabase(users);
    await dropDatabase(audit);
  });

  it('asNx turns a CLI hint into its nx run form', () => {
    expect(asNx('fleet stamp --app app1 --only app1/users/acme --to X')).toEqual(['run', 'app1:stamp', '--only=app1/users/acme', '--to=X']);
    expect(asNx('fleet migrate --app app1')).toEqual(['run', 'app1:migrate']);
  });

  it('status says what to run next; both forms run; --only acts on one target; a finding`s stamp hint fixes that target alone', async () => {
    const fresh = await runFleet(['status', '--app', 'app1'], env);
    const next = /next: .* run `(nx run [^`]+)` \(or `(fleet [^`]+)`\)/.exec(fresh.stdout);
    expect(next).not.toBeNull();
    const [, nxHint, cliHint] = next as RegExpExecArray;
    expect([nxHint, cliHint]).toEqual(['nx run app1:migrate', 'fleet migrate --app app1']);
    // The CLI form, as printed.
    expect((await runFleet(cliHint.split(' ').slice(1), env)).code).toBe(0);

    // Two tenants sign up; status through Nx prints the same hint; its Nx form migrates them.
    await query(users, `INSERT INTO tenants (id, plan) VALUES ('acme', 'pro'), ('globex', 'free')`);
    const pending = await runNx(['run', 'app1:status'], env);
    expect(pending.stdout).toContain('run `nx run app1:migrate` (or `fleet migrate --app app1`)');
    const migrated = await runNx(nxHint.split(' ').slice(1), env);
    expect(migrated.code).toBe(0);
    expect(await tenantVersions('acme')).toEqual(HEAD);
    expect(await tenantVersions('globex')).toEqual(HEAD);

    // One target by the option hints print: through Nx, only acme is reverted.
    const one = await runNx(['run', 'app1:revert', '--only=app1/users/acme', '--yes'], env);
    expect(one.code).toBe(0);
    expect(await tenantVersions('acme')).toEqual(HEAD.slice(0, 1));
    expect(await tenantVersions('globex')).toEqual(HEAD);
    // The CLI refuses the old name and says which one to use (Nx would have swallowed it).
    const old = await runFleet(['revert', '--app', 'app1', '--target', 'app1/users/globex', '--yes'], env);
    expect(old.code).toBe(2);
    expect(old.stderr).toMatch(/no option --target \(it is now --only/);
    expect(await tenantVersions('globex')).toEqual(HEAD);
    expect((await runFleet(['migrate', '--app', 'app1', '--only', 'app1/users/acme'], env)).code).toBe(0);

    // A migration applied in globex but missing from the code: the finding names the command.
    await query(
      users,
      `INSERT INTO tenant_globex.fleet_migrations (name, seq, timestamp, checksum, status, method) VALUES ('DropLegacy1764000150000', 3, 1764000150000, 'x', 'applied', 'run')`,
    );
    // Written behind Fleet's back (a deploy of another branch would have gone through Fleet's
    // fleet index): the next verify finds it and brings the index in line; status then shows it.
    expect((await runFleet(['verify', '--app', 'app1'], env)).code).toBe(1);
    const diverged = await runFleet(['status', '--app', 'app1'], env);
    const stamp = /`(fleet stamp [^`]+)`/.exec(diverged.stdout);
    expect(stamp?.[1]).toBe('fleet stamp --app app1 --only app1/users/globex --to <that migration>');
    const hint = (stamp as RegExpExecArray)[1].replace('<that migration>', 'CreateProjects1764000100000');

    // Its Nx form first: it fixes globex and touches nothing else.
    const viaNx = await runNx(asNx(hint), env);
    expect(`${viaNx.stdout}${viaNx.stderr}`).not.toMatch(/is not found in schema/);
    expect(viaNx.code).toBe(0);
    expect(await tenantVersions('globex')).toEqual(HEAD);
    expect(await tenantVersions('acme')).toEqual(HEAD);

    // The same again, by the CLI form as printed.
    await query(
      users,
      `INSERT INTO tenant_globex.fleet_migrations (name, seq, timestamp, checksum, status, method) VALUES ('DropLegacy1764000150000', 3, 1764000150000, 'x', 'applied', 'run')`,
    );
    const viaCli = await runFleet(hint.split(' ').slice(1), env);
    expect(viaCli.code).toBe(0);
    expect(await tenantVersions('globex')).toEqual(HEAD);
    expect((await runNx(['run', 'app1:verify'], env)).code).toBe(0);
  }, 180_000);
});
