import { APP, OUTPUT, RUN, TARGETS } from '../options';
import { defineVerb, EXIT_FAILED, EXIT_OK } from '../verb';

export default defineVerb({
  name: 'drift',
  summary: "Compare each target's live schema with the entities its track maps (read-only); tenants that differ from the majority are named.",
  options: [...APP, ...TARGETS, ...RUN, ...OUTPUT],
  async run(options) {
    const { drift } = await import('../../commands/drift');
    const { formatDrift } = await import('../../reporters/text-format');
    const report = await drift(options);
    return { doc: report, text: formatDrift(report), exitCode: report.ok ? EXIT_OK : EXIT_FAILED };
  },
});
