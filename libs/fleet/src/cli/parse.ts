/**
 * The command line, from the verb registry: each verb accepts exactly its declared options
 * (anything else is a usage error with a "did you mean"), and `fleet <verb> --help` prints them.
 */
import { parseArgs } from 'node:util';
import { CLI_GROUPS } from '../config/nx-project';
import { findVerb, verbs } from './registry';
import { CommandOptions, fieldOf, flagOf, OptionSpec, VerbDefinition, wordsOf } from './verb';

export type ParsedCommandLine = { verb: string; options: CommandOptions } | { help: string } | { error: string };

/** Options that changed name, so that the old one gets a pointer instead of a shrug. */
const RENAMED: Record<string, { to: string; why: string }> = {
  shard: { to: 'slice', why: 'a "shard" is a database of a sharded app' },
  target: { to: 'only', why: '`nx run` takes --target for itself and never passes it on' },
  verbose: { to: 'full', why: '`nx run` takes --verbose for itself and never passes it on' },
};

const GROUPS = CLI_GROUPS;

const CONNECTIONS = 'Connections: <APP>_<DB>_DATABASE_URL, else PGHOST/PGPORT/PGUSER/PGPASSWORD, else an embedded PostgreSQL.';

export function parseCommandLine(argv: string[]): ParsedCommandLine {
  const [first, second] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') return { help: generalHelp() };
  let name = first;
  let rest = argv.slice(1);
  // Two-word commands: `fleet tenant create`, `fleet run status` (verbs tenant-create, run-status).
  const group = GROUPS.find((g) => g === first);
  if (group) {
    const actions = verbs()
      .filter((v) => v.name.startsWith(`${group}-`))
      .map((v) => wordsOf(v).join(' '));
    if (!second || !findVerb(`${group}-${second}`)) return { error: `usage: ${actions.map((a) => `fleet ${a}`).join(' | ')}${second ? ` (not "${second}")` : ''}` };
    name = `${group}-${second}`;
    rest = argv.slice(2);
  }
  const verb = findVerb(name);
  if (!verb || (GROUPS.some((g) => name.startsWith(`${g}-`)) && !group)) {
    const names = verbs().map((v) => wordsOf(v).join(' '));
    const guess = closest(first, names);
    return { error: `unknown command "${first}"${guess ? ` (did you mean "${guess}"?)` : ''}. Commands: ${names.join(', ')}. See fleet --help.` };
  }
  if (rest.includes('--help') || rest.includes('-h')) return { help: verbHelp(verb) };

  const specs = new Map(verb.options.map((o) => [flagOf(o), o]));
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries([...specs].map(([flag, o]) => [flag, { type: o.kind === 'boolean' ? 'boolean' : 'string', multiple: o.kind === 'pairs' }])) as never,
    });
  } catch (e) {
    const unknown = /Unknown option '(-{1,2})([^']+)'/.exec((e as Error).message);
    if (unknown) {
      const renamed = RENAMED[unknown[2]] && specs.has(RENAMED[unknown[2]].to) ? RENAMED[unknown[2]] : undefined;
      const guess = renamed?.to ?? closest(unknown[2], [...specs.keys()]);
      const elsewhere = verbs()
        .filter((v) => v !== verb && v.options.some((o) => flagOf(o) === unknown[2]))
        .map((v) => wordsOf(v).join(' '));
      return {
        error:
          `fleet ${wordsOf(verb).join(' ')} has no option ${unknown[1]}${unknown[2]}` +
          (renamed
            ? ` (it is now --${renamed.to}: ${renamed.why})`
            : guess
              ? ` (did you mean --${guess}?)`
              : elsewhere.length
                ? ` (it is an option of ${elsewhere.join(', ')})`
                : '') +
          `. See fleet ${wordsOf(verb).join(' ')} --help.`,
      };
    }
    return { error: `${(e as Error).message}. See fleet ${wordsOf(verb).join(' ')} --help.` };
  }
  const options: CommandOptions = {};
  const positionals = parsed.positionals;
  if (verb.positional) {
    if (positionals.length !== 1) return { error: `fleet ${wordsOf(verb).join(' ')} takes exactly one <${verb.positional.value}>` };
    (options as Record<string, unknown>)[verb.positional.field] = positionals[0];
  } else if (positionals.length > 0) {
    return { error: `unexpected argument "${positionals[0]}" (fleet ${wordsOf(verb).join(' ')} takes options only)` };
  }
  for (const [flag, raw] of Object.entries(parsed.values as Record<string, unknown>)) {
    const spec = specs.get(flag)!;
    const value = convert(spec, raw);
    if (value instanceof Error) return { error: value.message };
    (options as Record<string, unknown>)[fieldOf(spec)] = value;
  }
  return { verb: verb.name, options };
}

/**
 * An option's value from the command line or an Nx option, by its kind. Lists given empty stay
 * [] (the API refuses them: an unset variable never means "all").
 */
export function convert(spec: OptionSpec, raw: unknown): unknown {
  const flag = `--${flagOf(spec)}`;
  switch (spec.kind) {
    case 'boolean':
      return raw === true || raw === 'true';
    case 'integer': {
      const text = String(raw);
      if (!/^\d+$/.test(text)) return new Error(`${flag} must be a whole number, got "${text}"`);
      return Number(text);
    }
    case 'list':
      return String(raw)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    case 'share': {
      const m = /^(\d+)\/(\d+)$/.exec(String(raw));
      if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) return new Error(`${flag} must be i/n with 1 <= i <= n (e.g. 2/4), got "${String(raw)}"`);
      return { index: Number(m[1]), count: Number(m[2]) };
    }
    case 'pairs': {
      const items = Array.isArray(raw)
        ? raw.map(String)
        : String(raw)
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean);
      const out: Record<string, string> = {};
      for (const item of items) {
        const eq = item.indexOf('=');
        if (eq <= 0) return new Error(`${flag} takes key=value, got "${item}"`);
        out[item.slice(0, eq)] = item.slice(eq + 1);
      }
      return Object.keys(out).length ? out : undefined;
    }
    case 'string':
      if (spec.choices && !spec.choices.includes(String(raw))) return new Error(`${flag} must be ${spec.choices.join(' or ')}, got "${String(raw)}"`);
      return String(raw);
  }
}

export function generalHelp(): string {
  const rows = verbs().map((v) => [`${wordsOf(v).join(' ')}${v.positional ? ` <${v.positional.value}>` : ''}`, v.summary]);
  const width = Math.max(...rows.map(([w]) => w.length));
  return [
    'Usage: fleet <command> --app <app> [options]',
    '',
    'Commands:',
    ...rows.map(([w, s]) => `  ${w.padEnd(width)}  ${s}`),
    '',
    'fleet <command> --help lists the options of a command.',
    CONNECTIONS,
  ].join('\n');
}

export function verbHelp(verb: VerbDefinition): string {
  const words = wordsOf(verb).join(' ');
  const rows = verb.options.map((o) => [`--${flagOf(o)}${o.kind === 'boolean' ? '' : ` <${o.value ?? 'value'}>`}`, o.description]);
  if (verb.positional) rows.unshift([`<${verb.positional.value}>`, verb.positional.description]);
  const width = Math.max(...rows.map(([f]) => f.length));
  return [
    `Usage: fleet ${words}${verb.positional ? ` <${verb.positional.value}>` : ''} [options]`,
    '',
    verb.summary,
    '',
    'Options:',
    ...rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`),
    `  ${'-h, --help'.padEnd(width)}  This text.`,
    '',
    CONNECTIONS,
  ].join('\n');
}

/** The candidate closest to `word` (edit distance at most 2, or a prefix), if any. */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = c.startsWith(word) || word.startsWith(c) ? 1 : distance(word, c);
    if (d <= 2 && (!best || d < best.d)) best = { c, d };
  }
  return best?.c;
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      dp[i][j] = Math.min(dp[i - 1][j] + 1, dp[i][j - 1] + 1, dp[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) dp[i][j] = Math.min(dp[i][j], dp[i - 2][j - 2] + 1);
    }
  }
  return dp[a.length][b.length];
}
