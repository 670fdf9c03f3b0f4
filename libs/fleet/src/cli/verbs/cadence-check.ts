import { OUTPUT } from '../options';
import { defineVerb, EXIT_FAILED, EXIT_OK } from '../verb';

export default defineVerb({
  name: 'cadence-check',
  summary: "Check the cadence of shared tables across the workspace's apps (fleet.cadence.json).",
  options: [{ name: 'app', kind: 'string', value: 'name', description: 'Only the problems of this app.' }, ...OUTPUT],
  nx: { cache: true, inputs: ['default', '^production', '{workspaceRoot}/fleet.cadence.json'], appOptions: false },
  async run(options) {
    const { cadenceCheck } = await import('../../commands/cadence');
    const { formatCadence } = await import('../../reporters/text-format');
    const report = await cadenceCheck({ workspaceRoot: options.workspaceRoot, env: options.env, app: options.app });
    return { doc: report, text: formatCadence(report), exitCode: report.ok ? EXIT_OK : EXIT_FAILED };
  },
});
