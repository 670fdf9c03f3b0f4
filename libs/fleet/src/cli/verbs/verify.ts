import { APP, OUTPUT, RUN, TARGETS } from '../options';
import { defineVerb, EXIT_FAILED, EXIT_OK } from '../verb';

export default defineVerb({
  name: 'verify',
  summary: 'Check that every target (every tenant, every shard) is at the head of its track; list stragglers and orphans.',
  options: [...APP, ...TARGETS, ...RUN, ...OUTPUT],
  async run(options) {
    const { verify } = await import('../../commands/verify');
    const { formatVerify } = await import('../../reporters/text-format');
    const report = await verify(options);
    return { doc: report, text: formatVerify(report), exitCode: report.ok ? EXIT_OK : EXIT_FAILED };
  },
});
