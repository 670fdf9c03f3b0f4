import { closest, convert, generalHelp, parseCommandLine, verbHelp } from './parse';
import { findVerb, verbs } from './registry';

describe('command line (from the verb registry, no database)', () => {
  it('parses each verb with exactly its options, typed', () => {
    expect(parseCommandLine(['revert', '--app', 'app1', '--tenant', 'a,b,a', '--steps', '2', '--track', 'global', '--yes'])).toEqual({
      verb: 'revert',
      options: { app: 'app1', tenants: ['a', 'b', 'a'], steps: 2, track: 'global', yes: true },
    });
    expect(parseCommandLine(['tenant', 'create', 'acme', '--app', 'app1', '--attr', 'plan=pro', '--attr', 'region=eu'])).toEqual({
      verb: 'tenant-create',
      options: { app: 'app1', tenantId: 'acme', attributes: { plan: 'pro', region: 'eu' } },
    });
    expect(parseCommandLine(['status', '--slice', '2/4', '--lock-wait', '100'])).toEqual({ verb: 'status', options: { slice: { index: 2, count: 4 }, lockWaitMs: 100 } });
    expect(parseCommandLine(['status', '--shard', '2/4'])).toEqual({ error: expect.stringMatching(/no option --shard \(it is now --slice/) });
    expect(parseCommandLine(['revert', '--only', 'app1/users/acme', '--yes'])).toEqual({ verb: 'revert', options: { targets: ['app1/users/acme'], yes: true } });
    // `nx run` swallows --target; the CLI refuses it too, so one spelling works everywhere.
    expect(parseCommandLine(['revert', '--target=app1/users/acme', '--yes'])).toEqual({
      error: expect.stringMatching(/no option --target \(it is now --only: `nx run` takes --target/),
    });
    expect(parseCommandLine(['migrate', '--verbose'])).toEqual({ error: expect.stringMatching(/no option --verbose \(it is now --full: `nx run` takes --verbose/) });
    expect(parseCommandLine(['migrate', '--full'])).toEqual({ verb: 'migrate', options: { verbose: true } });
  });

  it('an option of another verb, a typo, a bad value: a usage error that says what to type', () => {
    expect(parseCommandLine(['status', '--yes'])).toEqual({
      error: expect.stringMatching(/fleet status has no option --yes \(it is an option of revert, stamp, tenant drop, extensions relocate\)/),
    });
    expect(parseCommandLine(['revert', '--tenat', 'x'])).toEqual({ error: expect.stringMatching(/did you mean --tenant\?/) });
    expect(parseCommandLine(['migrat'])).toEqual({ error: expect.stringMatching(/unknown command "migrat" \(did you mean "migrate"\?\)/) });
    expect(parseCommandLine(['revert', '--steps', 'two'])).toEqual({ error: '--steps must be a whole number, got "two"' });
    expect(parseCommandLine(['revert', '--track', 'both'])).toEqual({ error: '--track must be global or tenant, got "both"' });
    expect(parseCommandLine(['tenant', 'create'])).toEqual({ error: 'fleet tenant create takes exactly one <id>' });
    expect(parseCommandLine(['tenant-create', 'x'])).toEqual({ error: expect.stringMatching(/unknown command "tenant-create"/) });
  });

  it('an empty list stays empty (the API refuses it: an unset variable never means "all")', () => {
    expect(parseCommandLine(['revert', '--tenant', ''])).toEqual({ verb: 'revert', options: { tenants: [] } });
    expect(convert({ name: 'tenant', kind: 'list', description: '' }, ' , ')).toEqual([]);
  });

  it('help: the commands, and each command with its own options', () => {
    expect(generalHelp()).toContain('tenant create <id>');
    for (const verb of verbs()) {
      const help = verbHelp(verb);
      for (const o of verb.options) expect(help).toContain(o.description);
    }
    expect(parseCommandLine(['migrate', '--help'])).toEqual({ help: verbHelp(findVerb('migrate')!) });
    expect(closest('stauts', ['status', 'stamp'])).toBe('status');
  });
});
