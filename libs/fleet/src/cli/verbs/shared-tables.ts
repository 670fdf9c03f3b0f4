import { OUTPUT } from '../options';
import { defineVerb, EXIT_OK } from '../verb';

export default defineVerb({
  name: 'shared-tables',
  summary: 'List the tables several apps map, and which apps map them.',
  options: [...OUTPUT],
  nx: false,
  async run(options) {
    const { sharedTables, tableMappings, workspaceApps } = await import('../../cadence/shared-tables');
    const shared = sharedTables(await tableMappings(workspaceApps(options.workspaceRoot ?? process.cwd())));
    const doc = { command: 'shared-tables', ok: true, shared: [...shared].map(([table, mappedBy]) => ({ table, mappedBy })) };
    const text = doc.shared.map((s) => `${s.table}: ${s.mappedBy.map((m) => `${m.app} (${m.database}, ${m.track})`).join(', ')}`).join('\n') || 'no shared tables';
    return { doc, text, exitCode: EXIT_OK };
  },
});
