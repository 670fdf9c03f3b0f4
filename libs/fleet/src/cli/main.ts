import { parseArgs } from 'node:util';
import { watchInterrupts } from './interrupts';
import { CommandOptions, EXIT_USAGE, runCommand, Verb, VERBS } from './run-command';

export const USAGE = `Usage: fleet <command> --app <app> [options]
       fleet tenant create <id> --app <app> [--attr plan=pro ...]
       fleet tenant drop <id> --app <app> --yes

Commands:
  migrate   apply pending migrations to every database of the app (--to <migration>)
  revert    revert the newest migration (--steps N, or --to <migration> | base)
  status    compare each database with the code (--check: exit 1 when anything is pending)
  history   list what each database's version table recorded
  stamp     record migrations as applied WITHOUT running them (--to <migration> | base)
  verify    check that every target (every tenant) is at the head of its track; list stragglers
  drift     compare each database (each tenant shape) with the entities; exit 1 on drift
  lint      check the SQL each tenant-track migration issues (run on a scratch database) for what
            cannot run per tenant: "public". names, other schemas, SET search_path/ROLE, extensions
            (--fix: remove the "public". qualifiers TypeORM's generator writes, nothing else)
  cadence-check  check the cadence of shared tables across the workspace's apps (fleet.cadence.json)
  shared-tables  list the tables several apps map, and which apps map them
  tenant create <id>   onboard a tenant: schema (or database), tenant track to head, registry row
  tenant drop <id>     delete a tenant's schema (or database) and registry row (needs --yes)

Options:
  --app <name>            the app (its config is apps/<name>/fleet.config.ts)
  --config <path>         a fleet.config.ts elsewhere (instead of --app)
  --database <a,b>        only these databases of the app
  --tenant <a,b>          only these tenants (migrate still runs the global track first)
  --target <id,...>       only these targets, by id (app1/users/acme): what hints print
  --track <global|tenant> revert, stamp: which track of a database that has both (default: tenant)
  --shard <i/n>           only this share of the tenant/shard targets (CI jobs splitting a fleet)
  --to <migration>        target migration (migrate, revert, stamp)
  --dry-run               migrate, revert, stamp: print the per-target plan, change nothing
  --yes                   revert, stamp over several targets: go ahead without asking (needed off a terminal);
                          tenant drop: the confirmation
  --force                 stamp: allow un-recording applied migrations (their down() does not run)
  --create-missing        migrate: re-create, empty, a registered tenant's schema/database that is gone
  --steps <n>             how many migrations to revert (default 1)
  --concurrency <n>       targets worked on at once (default 4)
  --max-connections <n>   most open connections per server (default: half of the free ones, at most 10)
  --lock-wait <ms>        how long to wait for another runner's lock (default: config, 30000)
  --fail-fast             stop starting targets after the first failure
  --allow-out-of-order    apply pending migrations older than applied ones
  --html <file>           status: also write a self-contained HTML view of the fleet
  --journal <path|latest> status --html: draw a run journal (its failures) instead of live status
  --fix                   lint: rewrite tenant-track files without their "public". qualifiers
  --json                  print one JSON document instead of text
  --verbose               print every migration, even for large fleets
  -h, --help              this text

Connections: <APP>_<DB>_DATABASE_URL, else PGHOST/PGPORT/PGUSER/PGPASSWORD, else an embedded PostgreSQL.`;

export function parseCommandLine(argv: string[]): { verb: Verb; options: CommandOptions } | { help: true } | { error: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        app: { type: 'string' },
        config: { type: 'string' },
        database: { type: 'string' },
        tenant: { type: 'string' },
        target: { type: 'string' },
        track: { type: 'string' },
        'dry-run': { type: 'boolean' },
        force: { type: 'boolean' },
        'create-missing': { type: 'boolean' },
        shard: { type: 'string' },
        to: { type: 'string' },
        steps: { type: 'string' },
        concurrency: { type: 'string' },
        'max-connections': { type: 'string' },
        'lock-wait': { type: 'string' },
        'fail-fast': { type: 'boolean' },
        'allow-out-of-order': { type: 'boolean' },
        check: { type: 'boolean' },
        json: { type: 'boolean' },
        verbose: { type: 'boolean' },
        attr: { type: 'string', multiple: true },
        html: { type: 'string' },
        journal: { type: 'string' },
        yes: { type: 'boolean' },
        fix: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    return { error: (e as Error).message };
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) return { help: true };
  let verb = positionals[0];
  let tenantId: string | undefined;
  if (verb === 'tenant') {
    const sub = positionals[1];
    if (sub !== 'create' && sub !== 'drop') return { error: 'usage: fleet tenant create <id> | fleet tenant drop <id> --yes' };
    if (positionals.length !== 3) return { error: `fleet tenant ${sub} takes exactly one tenant id` };
    verb = `tenant-${sub}`;
    tenantId = positionals[2];
  } else {
    if (!(VERBS as readonly string[]).includes(verb) || verb.startsWith('tenant-')) return { error: `unknown command "${verb}" (commands: ${VERBS.filter((v) => !v.startsWith('tenant-')).join(', ')}, tenant)` };
    if (positionals.length > 1) return { error: `unexpected argument "${positionals[1]}"` };
  }
  const attributes: Record<string, string> = {};
  for (const a of values.attr ?? []) {
    const eq = a.indexOf('=');
    if (eq <= 0) return { error: `--attr takes key=value, got "${a}"` };
    attributes[a.slice(0, eq)] = a.slice(eq + 1);
  }
  const int = (name: string, value: string | undefined): number | undefined | { error: string } => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) return { error: `--${name} must be a whole number, got "${value}"` };
    return Number(value);
  };
  const numbers: Record<string, number | undefined> = {};
  for (const [name, value] of [
    ['steps', values.steps],
    ['concurrency', values.concurrency],
    ['max-connections', values['max-connections']],
    ['lock-wait', values['lock-wait']],
  ] as const) {
    const n = int(name, value);
    if (typeof n === 'object') return n;
    numbers[name] = n;
  }
  let shard: { index: number; count: number } | undefined;
  if (values.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(values.shard);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) return { error: `--shard must be i/n with 1 <= i <= n (e.g. 2/4), got "${values.shard}"` };
    shard = { index: Number(m[1]), count: Number(m[2]) };
  }
  // A given-but-empty list stays [] (the API refuses it): `--tenant "$UNSET"` never means "all".
  const list = (v: string | undefined) => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean));
  if (values.track !== undefined && values.track !== 'global' && values.track !== 'tenant') return { error: `--track must be global or tenant, got "${values.track}"` };
  return {
    verb: verb as Verb,
    options: {
      app: values.app,
      config: values.config,
      databases: list(values.database),
      tenants: list(values.tenant),
      targets: list(values.target),
      track: values.track as 'global' | 'tenant' | undefined,
      dryRun: values['dry-run'],
      force: values.force,
      createMissing: values['create-missing'],
      shard,
      to: values.to,
      steps: numbers.steps,
      concurrency: numbers.concurrency,
      maxConnections: numbers['max-connections'],
      lockWaitMs: numbers['lock-wait'],
      failFast: values['fail-fast'],
      allowOutOfOrder: values['allow-out-of-order'],
      check: values.check,
      json: values.json,
      verbose: values.verbose,
      html: values.html,
      journal: values.journal,
      tenantId,
      attributes: Object.keys(attributes).length ? attributes : undefined,
      yes: values.yes,
      fix: values.fix,
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv);
  if ('help' in parsed) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if ('error' in parsed) {
    process.stderr.write(`fleet: ${parsed.error}\n\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  const interrupts = watchInterrupts((t) => process.stderr.write(t));
  try {
    const code = await runCommand(
      parsed.verb,
      { ...parsed.options, signal: interrupts.signal },
      {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
        isTTY: !!process.stderr.isTTY && !process.env.CI,
        confirm: process.stdin.isTTY && process.stderr.isTTY ? askOnTerminal : undefined,
      },
    );
    return interrupts.exitCode() ?? code;
  } finally {
    interrupts.dispose();
  }
}

/** y/N on the terminal: anything but y or yes is no. */
export async function askOnTerminal(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
