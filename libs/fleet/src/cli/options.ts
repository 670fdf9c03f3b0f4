/**
 * Options shared by several verbs, each declared once: its kind, flag and help. Verb modules
 * list the groups they take; nothing else parses or documents them.
 */
import type { OptionSpec } from './verb';

const opt = (spec: OptionSpec): OptionSpec => spec;

/** Which app and config (every app verb). */
export const APP: readonly OptionSpec[] = [
  opt({ name: 'app', kind: 'string', value: 'name', description: 'The app (its config is apps/<name>/fleet.config.ts; Nx: the project).' }),
  opt({ name: 'config', kind: 'string', value: 'path', description: 'A fleet.config.ts elsewhere, instead of the app convention.' }),
  opt({ name: 'database', kind: 'list', field: 'databases', value: 'a,b', description: 'Only these databases of the app (config keys).' }),
];

/** Which targets. */
export const TARGETS: readonly OptionSpec[] = [
  opt({ name: 'tenant', kind: 'list', field: 'tenants', value: 'a,b', description: 'Only these tenants (migrate still brings the global track to head first).' }),
  // Not `--target`: `nx run` takes that for itself and never passes it on (a one-target revert through
  // Nx reverted every tenant). tools/nx-plugin/test checks every option against each Nx major's flags.
  opt({ name: 'only', kind: 'list', field: 'targets', value: 'id,...', description: 'Only these targets, by id (app1/users/acme): what hints print.' }),
  opt({ name: 'slice', kind: 'share', value: 'i/n', description: 'Only the i-th of n deterministic slices of the targets (CI jobs or machines splitting a fleet).' }),
];

/** How wide and how patient a run is. */
export const RUN: readonly OptionSpec[] = [
  opt({ name: 'concurrency', kind: 'integer', value: 'n', description: 'Targets worked on at once (default 4).' }),
  opt({ name: 'maxConnections', kind: 'integer', value: 'n', description: 'Most open connections per server (default: half of the free ones, at most 10).' }),
  opt({ name: 'lockWait', kind: 'integer', field: 'lockWaitMs', value: 'ms', description: "How long to wait for another runner's lock on a target (default: config, 30000)." }),
];

/** How the result is printed. */
export const OUTPUT: readonly OptionSpec[] = [
  opt({ name: 'json', kind: 'boolean', description: 'Print one JSON document instead of text (progress: JSON lines on stderr).' }),
  // Not `--verbose`: `nx run` keeps that for itself (Nx's own logging) and never passes it on.
  opt({ name: 'full', kind: 'boolean', field: 'verbose', description: 'Print every migration of every target, even for large fleets (the default up to 10 targets).' }),
];

export const TO = (what: string): OptionSpec => opt({ name: 'to', kind: 'string', value: 'migration', description: what });
export const DRY_RUN = opt({ name: 'dryRun', kind: 'boolean', description: 'Print the per-target plan and change nothing.' });
export const FAIL_FAST = opt({ name: 'failFast', kind: 'boolean', description: 'Stop starting targets after the first failure (default: attempt every target).' });
export const YES = opt({ name: 'yes', kind: 'boolean', description: 'Go ahead without asking when several targets would change (needed off a terminal).' });
export const TRACK = opt({
  name: 'track',
  kind: 'string',
  choices: ['global', 'tenant'],
  value: 'global|tenant',
  description: 'On a database with both tracks: which one (default: tenant; the global track only when named).',
});
