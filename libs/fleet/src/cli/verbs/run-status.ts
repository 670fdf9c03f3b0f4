import { APP, OUTPUT } from '../options';
import { defineVerb, EXIT_FAILED, EXIT_OK } from '../verb';

export default defineVerb({
  name: 'run-status',
  summary: 'A queued run (migrate --queue) as the queue sees it: running, finished or abandoned (its coordinator died), jobs done / pending / failed, workers that refused it.',
  options: [...APP, ...OUTPUT, { name: 'run', kind: 'string', value: 'id', description: 'The run id (default: the newest run of the app).' }],
  nx: false,
  async run(options) {
    const { runStatus } = await import('../../queue/run-status');
    const report = await runStatus(options);
    const counts = Object.entries(report.counts)
      .map(([state, n]) => `${n} ${state}`)
      .join(', ');
    const refusals = (report.refusals ?? []).map((r) => `  refused by worker ${r.holder}: ${r.reason}`);
    const lines = report.run
      ? [
          `run ${report.run} (${report.state}): ${counts || 'no job queued'}`,
          ...(report.message ? [report.message] : []),
          ...refusals,
          ...report.jobs
            .filter((j) => j.state !== 'completed' || j.result?.outcome === 'failed' || j.result?.outcome === 'blocked')
            .map((j) => `  ${(j.result?.outcome ?? j.state).padEnd(9)} ${j.target}${j.error ? `: ${j.error}` : ''}`),
        ]
      : ['no queued run for this app'];
    return { doc: report, text: lines.join('\n'), exitCode: report.ok ? EXIT_OK : EXIT_FAILED };
  },
});
