import { APP, OUTPUT } from '../options';
import { defineVerb, EXIT_FAILED, EXIT_OK } from '../verb';

export default defineVerb({
  name: 'worker',
  summary: 'Take the jobs of queued runs (migrate --queue) and run each target with the same engine; start any number, anywhere. Also refills tenant pools set to refill: worker.',
  options: [
    ...APP,
    ...OUTPUT,
    { name: 'concurrency', kind: 'integer', value: 'n', description: 'Jobs worked on at once by this process (default 4); the run budget holds across all workers.' },
    { name: 'untilEmpty', kind: 'boolean', description: 'Exit once the queue has no open job (a Kubernetes Job, a CI matrix); default: work until stopped.' },
  ],
  async run(options, ctx) {
    const { work } = await import('../../queue/worker');
    const print = (line: string) => ctx.io.stderr(`${line}\n`);
    const report = await work({ ...options, log: options.json ? undefined : print, warn: print });
    const refused = report.refused.length ? `, ${report.refused.length} run(s) refused (other migrations)` : '';
    const text = `worker ${report.holder}: ${report.jobs} job(s), ${report.failed} failed${refused}${report.spares ? `, ${report.spares} spare tenant(s) made` : ''}`;
    return { doc: report, text, exitCode: report.ok ? EXIT_OK : EXIT_FAILED };
  },
});
