import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../errors';
import type { RunJournal } from '../../journal/run-journal';
import { APP, OUTPUT, RUN, TARGETS } from '../options';
import { defineVerb, EXIT_FAILED, EXIT_OK } from '../verb';

export default defineVerb({
  name: 'status',
  summary: 'Compare each database (each tenant, each shard) with the code: at-head, pending, diverged, failed, missing.',
  options: [
    ...APP,
    ...TARGETS,
    ...RUN,
    ...OUTPUT,
    { name: 'check', kind: 'boolean', description: 'Exit 1 when anything is pending.' },
    {
      name: 'indexMaxAge',
      kind: 'integer',
      field: 'indexMaxAgeHours',
      value: 'hours',
      description: 'Warn when the fleet index was last verified longer ago than this (default 24; fleet verify proves it).',
    },
    { name: 'html', kind: 'string', value: 'file', description: 'Also write a self-contained HTML view of the fleet to this file.' },
    { name: 'journal', kind: 'string', value: 'path|latest', description: 'With --html: draw a run journal (its failures) instead of live status.' },
  ],
  async run(options, ctx) {
    const { status } = await import('../../commands/status');
    const { findConfigFile, loadConfig } = await import('../../config/load-config');
    const { journalView, renderFleetHtml, statusView } = await import('../../reporters/html-report');
    const { formatStatus } = await import('../../reporters/text-format');
    const { spareLines } = await import('../../reporters/spare-lines');
    if (options.journal !== undefined) {
      if (!options.html) throw new ConfigError('--journal draws a run journal as HTML: pass --html <file> too.');
      const root = options.workspaceRoot ?? process.cwd();
      const app = options.app ?? (typeof options.config === 'string' ? loadConfig(findConfigFile(root, undefined, options.config), root).app : undefined);
      const file = options.journal === 'latest' ? join(ctx.journalDir ?? '.fleet/runs', `latest-${app}.json`) : options.journal;
      let journal: RunJournal;
      try {
        journal = JSON.parse(readFileSync(file, 'utf8')) as RunJournal;
      } catch (cause) {
        throw new ConfigError(`Cannot read the run journal ${file}: ${(cause as Error).message}`, { file }, { cause });
      }
      writeFileSync(options.html, renderFleetHtml(journalView(journal)));
      return { doc: { command: 'status', ok: true, html: options.html, journal: file }, text: `wrote ${options.html} from the run journal ${file}`, exitCode: EXIT_OK };
    }
    const report = await status(options);
    if (options.html) {
      writeFileSync(options.html, renderFleetHtml(statusView(report)));
      ctx.io.stderr(`wrote ${options.html}\n`);
    }
    const exitCode = !report.ok || (options.check && report.summary.pending > 0) ? EXIT_FAILED : EXIT_OK;
    return { doc: report, text: [formatStatus(report, ctx.style), ...spareLines(report)].join('\n'), exitCode };
  },
});
