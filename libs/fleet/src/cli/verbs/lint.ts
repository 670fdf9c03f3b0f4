import { APP, OUTPUT } from '../options';
import { defineVerb, EXIT_FAILED, EXIT_OK } from '../verb';

export default defineVerb({
  name: 'lint',
  summary: 'Check the SQL each tenant-track migration issues (run on a scratch database) for what cannot run per tenant.',
  options: [
    ...APP,
    ...OUTPUT,
    { name: 'fix', kind: 'boolean', description: 'Remove the "public". qualifiers TypeORM\'s generator writes from tenant-track files (nothing else).' },
  ],
  async run(options) {
    const { lint } = await import('../../commands/lint');
    const { formatLint } = await import('../../reporters/text-format');
    const report = await lint(options);
    return { doc: report, text: formatLint(report, options.workspaceRoot ?? process.cwd()), exitCode: report.ok ? EXIT_OK : EXIT_FAILED };
  },
});
