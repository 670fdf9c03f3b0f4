import { APP, OUTPUT, RUN, TARGETS } from '../options';
import { defineVerb, EXIT_FAILED, EXIT_OK } from '../verb';

export default defineVerb({
  name: 'history',
  summary: "List what each target's version table recorded, each row checked against the code.",
  options: [...APP, ...TARGETS, ...RUN, ...OUTPUT],
  async run(options) {
    const { history } = await import('../../commands/history');
    const { formatHistory } = await import('../../reporters/text-format');
    const report = await history(options);
    return { doc: report, text: formatHistory(report), exitCode: report.ok ? EXIT_OK : EXIT_FAILED };
  },
});
