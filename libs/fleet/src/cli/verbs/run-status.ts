import { APP, OUTPUT } from '../options';
import { defineVerb, EXIT_FAILED, EXIT_OK } from '../verb';

export default defineVerb({
  name: 'run-status',
  summary: 'A queued run (migrate --queue) as the queue sees it, also after its coordinator stopped: jobs per state, the failed ones.',
  options: [...APP, ...OUTPUT, { name: 'run', kind: 'string', value: 'id', description: 'The run id (default: the newest run of the app).' }],
  nx: false,
  async run(options) {
    const { runStatus } = await import('../../commands/queue');
    const report = await runStatus(options);
    const counts = Object.entries(report.counts)
      .map(([state, n]) => `${n} ${state}`)
      .join(', ');
    const lines = report.run
      ? [
          `run ${report.run}: ${counts}`,
          ...report.jobs
            .filter((j) => j.state !== 'completed' || j.result?.outcome === 'failed' || j.result?.outcome === 'blocked')
            .map((j) => `  ${(j.result?.outcome ?? j.state).padEnd(9)} ${j.target}${j.error ? `: ${j.error}` : ''}`),
        ]
      : ['no queued run for this app'];
    return { doc: report, text: lines.join('\n'), exitCode: report.ok ? EXIT_OK : EXIT_FAILED };
  },
});
