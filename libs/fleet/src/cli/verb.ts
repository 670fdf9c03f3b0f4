/**
 * One definition per verb. A verb module (cli/verbs/<name>.ts) declares its name, summary, typed
 * options with their help, the API call, the text formatter and the exit rule; from those come
 * the CLI parser and per-command help (cli/parse.ts), the shell (cli/run-command.ts), and the Nx
 * inferred targets, executors and option schemas (tools/nx-plugin). Adding a verb is one new
 * module in cli/verbs plus its test.
 */
import type { CommonOptions } from '../commands/runtime';
import type { Style } from '../reporters/style';
import { cliWords } from '../config/nx-project';

/** How an option's value is written and read. */
export type OptionKind =
  /** free text */
  | 'string'
  /** a flag */
  | 'boolean'
  /** a whole number >= 0 */
  | 'integer'
  /** comma-separated values -> string[] (given but empty stays [], which the API refuses) */
  | 'list'
  /** `i/n` -> { index, count } */
  | 'share'
  /** `key=value` pairs (CLI: repeated; Nx: comma-separated) -> Record<string, string> */
  | 'pairs';

export interface OptionSpec {
  /** The Nx option name (camelCase); the CLI flag is its kebab-case form unless `flag` says otherwise. */
  name: string;
  kind: OptionKind;
  /** One line of help, shown by `fleet <verb> --help` and in the Nx schema. */
  description: string;
  /** CLI flag without dashes (default: kebab-case of `name`). */
  flag?: string;
  /** The CommandOptions field it sets (default: `name`). */
  field?: keyof CommandOptions;
  /** Allowed values (string kind). */
  choices?: readonly string[];
  /** Shown in help as the value's name (`<ms>`, `<migration>`). */
  value?: string;
}

/** Everything a verb may receive: the API's common options plus each verb's own. */
export interface CommandOptions extends CommonOptions {
  json?: boolean;
  verbose?: boolean;
  /** status: exit non-zero when anything is pending. */
  check?: boolean;
  to?: string;
  steps?: number;
  failFast?: boolean;
  allowOutOfOrder?: boolean;
  /** status: also write a self-contained HTML view of the fleet to this file. */
  html?: string;
  /** status --html: draw a run journal instead (a path, or `latest` for the app's newest run). */
  journal?: string;
  /** status: warn when the fleet index was last verified longer ago than this (hours). */
  indexMaxAgeHours?: number;
  /** tenant-create / tenant-drop: the tenant id. */
  tenantId?: string;
  /** tenant-create: registry attributes (plan, region...). */
  attributes?: Record<string, string>;
  /** revert/stamp over several targets, tenant-drop: the explicit confirmation. */
  yes?: boolean;
  /** lint: remove the `"public".` qualifiers from tenant-track migration files. */
  fix?: boolean;
  /** lint: text (default), json (as --json) or sarif (SARIF 2.1.0 for code scanning). */
  format?: string;
  /** migrate, revert, stamp: print the per-target plan and change nothing. */
  dryRun?: boolean;
  /** stamp: allow un-recording applied migrations. */
  force?: boolean;
  /** Write run journals here (default FLEET_JOURNAL_DIR, else `<workspace>/.fleet/runs`; false: none). */
  journalDir?: string | false;
  /** migrate: only this wave of the staged rollout. */
  wave?: string;
  /** migrate: queue the targets for `fleet worker` processes. */
  queue?: boolean;
  /** worker: exit once the queue has no open job. */
  untilEmpty?: boolean;
  /** run status: the queued run's id. */
  run?: string;
}

export interface CommandIO {
  stdout(text: string): void;
  stderr(text: string): void;
  isTTY: boolean;
  /** Asks a yes/no question on a terminal; absent off a terminal (then destructive verbs need --yes). */
  confirm?(question: string): Promise<boolean>;
  /** Colour the text reports (a terminal without NO_COLOR, or FORCE_COLOR; see reporters/style.ts). */
  color?: boolean;
}

/** What a verb's run gets besides its options. */
export interface VerbContext {
  io: CommandIO;
  /** Where run journals go (undefined: none). */
  journalDir: string | undefined;
  /** Colours for the text report (plain when off). */
  style: Style;
}

/** A verb's result as the shell prints it. */
export interface VerbOutcome {
  /** The --json document. */
  doc: unknown;
  /** The text report (stdout). */
  text: string;
  /** 0 success; 1 something failed or is not as asked; 2 bad usage (nothing ran). */
  exitCode: number;
}

export interface VerbDefinition {
  /** The verb's name: the Nx target and executor, and the CLI words (`tenant-create` -> `fleet tenant create`). */
  name: string;
  /** One line for `fleet --help` and the Nx target's description. */
  summary: string;
  /** A positional argument (`fleet tenant create <id>`), with the option it fills and its Nx name. */
  positional?: { value: string; field: keyof CommandOptions; name: string; description: string };
  options: readonly OptionSpec[];
  /** Runs the verb through the public API; formats and judges the result. */
  run(options: CommandOptions, ctx: VerbContext): Promise<VerbOutcome>;
  /** How Nx infers its target (false: CLI only). `perWorkspace`: the verb reads the whole workspace, not one app. */
  nx?: false | { cache?: boolean; inputs?: string[]; appOptions?: boolean };
}

export function defineVerb(verb: VerbDefinition): VerbDefinition {
  return verb;
}

export function flagOf(option: OptionSpec): string {
  return option.flag ?? option.name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function fieldOf(option: OptionSpec): keyof CommandOptions {
  return option.field ?? (option.name as keyof CommandOptions);
}

/** CLI words of a verb: `tenant-create` -> ['tenant', 'create'], `run-status` -> ['run', 'status']. */
export function wordsOf(verb: VerbDefinition): string[] {
  return cliWords(verb.name);
}

/** Exit codes (see the README). */
export const EXIT_OK = 0;
/** Something failed, diverged, or (status --check) is pending. */
export const EXIT_FAILED = 1;
/** Bad usage or configuration: nothing ran. */
export const EXIT_USAGE = 2;
