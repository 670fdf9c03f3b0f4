import { join } from 'node:path';
import { errorToJSON, FleetError } from '../errors';
import type { CommonOptions } from '../commands/runtime';
import { ProgressReporter } from '../reporters/progress-reporter';
import { combineListeners, FleetEvent } from '../events';
import { ensureSourceLoader } from './source-loader';
import { styler } from '../reporters/style';
import { printableLines } from '../terminal-text';
import { findVerb, verbs } from './registry';
import { CommandIO, CommandOptions, EXIT_FAILED, EXIT_USAGE } from './verb';

export type { CommandIO, CommandOptions } from './verb';
export { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './verb';

/** The verbs' names (from the registry, cli/verbs). */
export const VERBS: readonly string[] = verbs().map((v) => v.name);
export type Verb = string;

/**
 * The shell shared by the CLI and the Nx executors: runs a verb, reports progress on stderr,
 * prints the result (text or one JSON document) on stdout and maps it to an exit code.
 */
export async function runCommand(verbName: Verb, options: CommandOptions, io: CommandIO): Promise<number> {
  const verb = findVerb(verbName);
  if (!verb) {
    io.stderr(`fleet: unknown command "${verbName}" (commands: ${VERBS.join(', ')})\n`);
    return EXIT_USAGE;
  }
  // Text: a progress view on stderr. JSON: a stream of JSON events on stderr; stdout keeps one document.
  const listener = options.json ? jsonEventStream(io.stderr, !!options.verbose) : new ProgressReporter(io.stderr, { isTTY: io.isTTY, verbose: options.verbose }).listener;
  const common: CommandOptions & CommonOptions = { ...options, onEvent: combineListeners(listener, options.onEvent) };
  const journalDir =
    options.journalDir === false
      ? undefined
      : (options.journalDir ?? (options.env ?? process.env).FLEET_JOURNAL_DIR ?? join(options.workspaceRoot ?? process.cwd(), '.fleet', 'runs'));
  // Verbs load the engine when they run. From TypeScript sources that needs a loader still in
  // place (Nx removes the one it used to load the plugin).
  ensureSourceLoader();
  try {
    const outcome = await verb.run(common, { io, journalDir, style: styler(!options.json && !!io.color) });
    if (options.json) io.stdout(`${JSON.stringify(outcome.doc, null, 2)}\n`);
    else if (outcome.text) io.stdout(`${outcome.text}\n`);
    return outcome.exitCode;
  } catch (err) {
    if (options.json) io.stdout(`${JSON.stringify({ command: verb.name, ok: false, error: errorToJSON(err) }, null, 2)}\n`);
    else io.stderr(`${styler(!!io.color)('red', `fleet ${verb.name}:`)} ${printableLines(err instanceof FleetError ? err.message : ((err as Error)?.stack ?? String(err)))}\n`);
    return err instanceof FleetError ? err.exitCode : EXIT_FAILED;
  }
}

/**
 * `--json` progress: one JSON object per line on stderr. Per-migration events only with
 * --full, so a 1000-tenant run stays a few thousand lines; run-end carries only the summary
 * (stdout has the whole report).
 */
function jsonEventStream(write: (text: string) => void, verbose: boolean): (event: FleetEvent) => void {
  return (event) => {
    if (!verbose && (event.type === 'migration-start' || event.type === 'migration-end' || event.type === 'plan' || event.type === 'target-start')) return;
    const line =
      event.type === 'run-end'
        ? { type: 'run-end', ok: event.report.ok, summary: event.report.summary, durationMs: event.report.durationMs }
        : event.type === 'target-end'
          ? {
              type: 'target-end',
              target: event.result.target,
              outcome: event.result.outcome,
              applied: event.result.applied.length,
              failed: event.result.failed,
              ...(event.result.attempts ? { attempts: event.result.attempts.length } : {}),
              durationMs: event.result.durationMs,
            }
          : event;
    write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`);
  };
}
