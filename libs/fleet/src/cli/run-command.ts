import { ConfigError, errorToJSON, FleetError, InvalidIdentifierError, MigrationSourceError } from '../errors';
import { history } from '../commands/history';
import { migrate, revert, stamp } from '../commands/run-commands';
import type { CommonOptions } from '../commands/runtime';
import { status } from '../commands/status';
import { ProgressReporter } from '../reporters/progress-reporter';
import { formatHistory, formatRunReport, formatStatus, formatVerify } from '../reporters/text-format';
import { verify } from '../commands/verify';
import { combineListeners, FleetEvent } from '../events';
import { join } from 'node:path';

export const VERBS = ['migrate', 'revert', 'status', 'history', 'stamp', 'verify'] as const;
export type Verb = (typeof VERBS)[number];

export interface CommandOptions extends CommonOptions {
  json?: boolean;
  /** status: exit non-zero when anything is pending. */
  check?: boolean;
  to?: string;
  steps?: number;
  failFast?: boolean;
  allowOutOfOrder?: boolean;
  verbose?: boolean;
  /** Write run journals here (default `<workspace>/.fleet/runs`; false: none). */
  journalDir?: string | false;
}

export interface CommandIO {
  stdout(text: string): void;
  stderr(text: string): void;
  isTTY: boolean;
}

export const EXIT_OK = 0;
/** Something failed, diverged, or (status --check) is pending. */
export const EXIT_FAILED = 1;
/** Bad usage or configuration: nothing ran. */
export const EXIT_USAGE = 2;

/**
 * The shell shared by the CLI and the Nx executors: runs a verb, reports progress on stderr,
 * prints the result (text or one JSON document) on stdout and maps it to an exit code.
 */
export async function runCommand(verb: Verb, options: CommandOptions, io: CommandIO): Promise<number> {
  // Text: a progress view on stderr. JSON: a stream of JSON events on stderr; stdout keeps one document.
  const listener = options.json ? jsonEventStream(io.stderr, !!options.verbose) : new ProgressReporter(io.stderr, { isTTY: io.isTTY, verbose: options.verbose }).listener;
  const common: CommonOptions = { ...options, onEvent: combineListeners(listener, options.onEvent) };
  const journalDir = options.journalDir === false ? undefined : (options.journalDir ?? join(options.workspaceRoot ?? process.cwd(), '.fleet', 'runs'));
  const print = (doc: unknown, text: string) => io.stdout(options.json ? `${JSON.stringify(doc, null, 2)}\n` : `${text}\n`);
  try {
    switch (verb) {
      case 'migrate':
      case 'revert':
      case 'stamp': {
        const run = verb === 'migrate' ? migrate : verb === 'revert' ? revert : stamp;
        const report = await run({
          ...common,
          to: options.to as string,
          steps: options.steps,
          failFast: options.failFast,
          allowOutOfOrder: options.allowOutOfOrder,
          journalDir,
        });
        if (verb === 'stamp' && !options.json) io.stderr('stamp: the version table was rewritten WITHOUT running any migration.\n');
        print(report, formatRunReport(report));
        return report.ok ? EXIT_OK : EXIT_FAILED;
      }
      case 'status': {
        const report = await status(common);
        print(report, formatStatus(report));
        if (!report.ok) return EXIT_FAILED;
        return options.check && report.summary.pending > 0 ? EXIT_FAILED : EXIT_OK;
      }
      case 'verify': {
        const report = await verify(common);
        print(report, formatVerify(report));
        return report.ok ? EXIT_OK : EXIT_FAILED;
      }
      case 'history': {
        const report = await history(common);
        print(report, formatHistory(report));
        return report.ok ? EXIT_OK : EXIT_FAILED;
      }
    }
  } catch (err) {
    if (options.json) io.stdout(`${JSON.stringify({ command: verb, ok: false, error: errorToJSON(err) }, null, 2)}\n`);
    else io.stderr(`fleet ${verb}: ${err instanceof FleetError ? err.message : (err as Error)?.stack ?? String(err)}\n`);
    return isUsageError(err) ? EXIT_USAGE : EXIT_FAILED;
  }
}

function isUsageError(err: unknown): boolean {
  return err instanceof ConfigError || err instanceof InvalidIdentifierError || err instanceof MigrationSourceError;
}

/**
 * `--json` progress: one JSON object per line on stderr. Per-migration events only with
 * --verbose, so a 1000-tenant run stays a few thousand lines; run-end carries only the summary
 * (stdout has the whole report).
 */
function jsonEventStream(write: (text: string) => void, verbose: boolean): (event: FleetEvent) => void {
  return (event) => {
    if (!verbose && (event.type === 'migration-start' || event.type === 'migration-end' || event.type === 'plan' || event.type === 'target-start')) return;
    const line =
      event.type === 'run-end'
        ? { type: 'run-end', ok: event.report.ok, summary: event.report.summary, durationMs: event.report.durationMs }
        : event.type === 'target-end'
          ? { type: 'target-end', target: event.result.target, outcome: event.result.outcome, applied: event.result.applied.length, failed: event.result.failed, durationMs: event.result.durationMs }
          : event;
    write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`);
  };
}
