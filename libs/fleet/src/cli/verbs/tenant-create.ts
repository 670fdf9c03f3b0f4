import { APP, OUTPUT } from '../options';
import { defineVerb, EXIT_OK } from '../verb';

export default defineVerb({
  name: 'tenant-create',
  summary: 'Onboard a tenant: its schema (or database), the tenant track from the first migration to head, then its registry row.',
  positional: { value: 'id', field: 'tenantId', name: 'id', description: 'The tenant id (a-z, 0-9, "_").' },
  options: [
    ...APP,
    ...OUTPUT,
    { name: 'attr', kind: 'pairs', field: 'attributes', value: 'key=value', description: 'Registry columns to set (plan=pro); also what conditional migrations see.' },
  ],
  async run(options) {
    const { createTenant } = await import('../../commands/tenants');
    const result = await createTenant({
      ...options,
      workspaceRoot: options.workspaceRoot ?? process.cwd(),
      id: options.tenantId ?? '',
      attributes: options.attributes,
      database: options.databases?.[0],
    });
    const { report, ...rest } = result;
    return {
      doc: { command: 'tenant-create', ok: true, ...rest, durationMs: report.durationMs },
      text:
        `tenant ${result.tenant}: ${result.registered ? 'created' : 'already existed'} in ${result.location} (${result.target}); ` +
        `${result.applied.length} migration(s) applied, ${(report.durationMs / 1000).toFixed(2)} s`,
      exitCode: EXIT_OK,
    };
  },
});
