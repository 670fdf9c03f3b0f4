import { ConfigError, errorToJSON, FleetError, InvalidIdentifierError, MigrationSourceError } from '../errors';
import { history } from '../commands/history';
import { dryRun, migrate, revert, stamp } from '../commands/run-commands';
import type { CommonOptions } from '../commands/runtime';
import { status } from '../commands/status';
import { ProgressReporter } from '../reporters/progress-reporter';
import { formatCadence, formatDrift, formatHistory, formatLint, formatPlan, formatRunReport, formatStatus, formatVerify } from '../reporters/text-format';
import { lint } from '../commands/lint';
import { verify } from '../commands/verify';
import { createTenant, dropTenant } from '../commands/tenants';
import { drift } from '../commands/drift';
import { cadenceCheck } from '../commands/cadence';
import { sharedTables, tableMappings, workspaceApps } from '../cadence/shared-tables';
import { combineListeners, FleetEvent } from '../events';
import { join } from 'node:path';
import { findConfigFile, loadConfig } from '../config/load-config';
import { readFileSync, writeFileSync } from 'node:fs';
import { journalView, renderFleetHtml, statusView } from '../reporters/html-report';
import type { RunJournal } from '../journal/run-journal';

export const VERBS = ['migrate', 'revert', 'status', 'history', 'stamp', 'verify', 'drift', 'lint', 'cadence-check', 'shared-tables', 'tenant-create', 'tenant-drop'] as const;
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
  /** status: also write a self-contained HTML view of the fleet to this file. */
  html?: string;
  /** status --html: draw a run journal instead (a path, or `latest` for the app's newest run). */
  journal?: string;
  /** tenant-create / tenant-drop: the tenant id. */
  tenantId?: string;
  /** tenant-create: registry attributes (plan, region...). */
  attributes?: Record<string, string>;
  /** tenant-drop: the explicit confirmation. */
  yes?: boolean;
  /** lint: remove the `"public".` qualifiers from tenant-track migration files. */
  fix?: boolean;
  /** migrate, revert, stamp: print the per-target plan and change nothing. */
  dryRun?: boolean;
  /** stamp: allow un-recording applied migrations. */
  force?: boolean;
  /** Write run journals here (default FLEET_JOURNAL_DIR, else `<workspace>/.fleet/runs`; false: none). */
  journalDir?: string | false;
}

export interface CommandIO {
  stdout(text: string): void;
  stderr(text: string): void;
  isTTY: boolean;
  /** Asks a yes/no question on a terminal; absent off a terminal (then destructive verbs need --yes). */
  confirm?(question: string): Promise<boolean>;
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
  const journalDir =
    options.journalDir === false ? undefined : (options.journalDir ?? (options.env ?? process.env).FLEET_JOURNAL_DIR ?? join(options.workspaceRoot ?? process.cwd(), '.fleet', 'runs'));
  const print = (doc: unknown, text: string) => io.stdout(options.json ? `${JSON.stringify(doc, null, 2)}\n` : `${text}\n`);
  try {
    switch (verb) {
      case 'migrate':
      case 'revert':
      case 'stamp': {
        const runOptions = { ...common, to: options.to as string, steps: options.steps, failFast: options.failFast, allowOutOfOrder: options.allowOutOfOrder, force: options.force };
        if (options.dryRun) {
          const plan = await dryRun(verb, runOptions);
          print({ ...plan, dryRun: true }, formatPlan(plan));
          return plan.targets.some((t) => t.blocked) ? EXIT_FAILED : EXIT_OK;
        }
        if (verb !== 'migrate' && !options.yes) {
          // A destructive verb over several targets shows its plan and asks first.
          const plan = await dryRun(verb, runOptions);
          if (plan.changing > 1) {
            io.stderr(`${formatPlan(plan)}\n`);
            if (!io.confirm) {
              throw new ConfigError(`fleet ${verb} would change ${plan.changing} targets (plan above): pass --yes to go ahead (nothing is asked off a terminal).`);
            }
            if (!(await io.confirm(`${verb === 'revert' ? 'Revert' : 'Stamp'} ${plan.changing} targets as planned above? [y/N] `))) {
              io.stderr('Nothing was changed.\n');
              return EXIT_USAGE;
            }
          }
        }
        const run = verb === 'migrate' ? migrate : verb === 'revert' ? revert : stamp;
        const report = await run({ ...runOptions, journalDir });
        if (verb === 'stamp' && !options.json) io.stderr('stamp: the version table was rewritten WITHOUT running any migration.\n');
        print(report, formatRunReport(report));
        return report.ok ? EXIT_OK : EXIT_FAILED;
      }
      case 'status': {
        if (options.journal !== undefined) {
          if (!options.html) throw new ConfigError('--journal draws a run journal as HTML: pass --html <file> too.');
          const app = options.app ?? (typeof options.config === 'string' ? loadConfig(findConfigFile(options.workspaceRoot ?? process.cwd(), undefined, options.config), options.workspaceRoot ?? process.cwd()).app : undefined);
          const file = options.journal === 'latest' ? join(journalDir ?? '.fleet/runs', `latest-${app}.json`) : options.journal;
          let journal: RunJournal;
          try {
            journal = JSON.parse(readFileSync(file, 'utf8')) as RunJournal;
          } catch (cause) {
            throw new ConfigError(`Cannot read the run journal ${file}: ${(cause as Error).message}`, { file }, { cause });
          }
          writeFileSync(options.html, renderFleetHtml(journalView(journal)));
          print({ command: verb, ok: true, html: options.html, journal: file }, `wrote ${options.html} from the run journal ${file}`);
          return EXIT_OK;
        }
        const report = await status(common);
        if (options.html) {
          writeFileSync(options.html, renderFleetHtml(statusView(report)));
          io.stderr(`wrote ${options.html}\n`);
        }
        print(report, formatStatus(report));
        if (!report.ok) return EXIT_FAILED;
        return options.check && report.summary.pending > 0 ? EXIT_FAILED : EXIT_OK;
      }
      case 'verify': {
        const report = await verify(common);
        print(report, formatVerify(report));
        return report.ok ? EXIT_OK : EXIT_FAILED;
      }
      case 'drift': {
        const report = await drift(common);
        print(report, formatDrift(report));
        return report.ok ? EXIT_OK : EXIT_FAILED;
      }
      case 'lint': {
        const report = await lint({ ...common, fix: options.fix });
        print(report, formatLint(report, options.workspaceRoot ?? process.cwd()));
        return report.ok ? EXIT_OK : EXIT_FAILED;
      }
      case 'cadence-check': {
        const report = await cadenceCheck({ workspaceRoot: options.workspaceRoot, env: options.env, app: options.app });
        print(report, formatCadence(report));
        return report.ok ? EXIT_OK : EXIT_FAILED;
      }
      case 'shared-tables': {
        const shared = sharedTables(await tableMappings(workspaceApps(options.workspaceRoot ?? process.cwd())));
        const doc = { command: verb, ok: true, shared: [...shared].map(([table, mappedBy]) => ({ table, mappedBy })) };
        print(doc, doc.shared.map((s) => `${s.table}: ${s.mappedBy.map((m) => `${m.app} (${m.database}, ${m.track})`).join(', ')}`).join('\n') || 'no shared tables');
        return EXIT_OK;
      }
      case 'tenant-create': {
        const result = await createTenant({ ...common, id: options.tenantId ?? '', attributes: options.attributes, database: options.databases?.[0] });
        const { report, ...rest } = result;
        print(
          { command: verb, ok: true, ...rest, durationMs: report.durationMs },
          `tenant ${result.tenant}: ${result.registered ? 'created' : 'already existed'} in ${result.location} (${result.target}); ` +
            `${result.applied.length} migration(s) applied, ${(report.durationMs / 1000).toFixed(2)} s`,
        );
        return EXIT_OK;
      }
      case 'tenant-drop': {
        const result = await dropTenant({ ...common, id: options.tenantId ?? '', confirm: options.yes === true, database: options.databases?.[0] });
        print({ command: verb, ok: true, ...result }, `tenant ${result.tenant}: dropped ${result.dropped} and its registry row`);
        return EXIT_OK;
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
