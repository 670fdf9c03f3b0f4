import { APP, OUTPUT } from '../options';
import { defineVerb, EXIT_FAILED, EXIT_OK } from '../verb';

export default defineVerb({
  name: 'run-wait',
  summary: 'Wait for a queued run to end (its coordinator finished, or died: abandoned, exit 1), then report it from its jobs and write its journal.',
  options: [...APP, ...OUTPUT, { name: 'run', kind: 'string', value: 'id', description: 'The run id (default: the newest run of the app).' }],
  nx: false,
  async run(options, ctx) {
    const { runWait } = await import('../../queue/run-status');
    const { formatRunReport } = await import('../../reporters/text-format');
    const report = await runWait({ ...options, journalDir: ctx.journalDir });
    const text = formatRunReport(report, ctx.style) + (report.abandoned ? `\n${report.abandoned.message}` : '');
    return { doc: report, text, exitCode: report.ok ? EXIT_OK : EXIT_FAILED };
  },
});
