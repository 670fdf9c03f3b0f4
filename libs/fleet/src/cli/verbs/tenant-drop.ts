import { APP, OUTPUT } from '../options';
import { defineVerb, EXIT_OK } from '../verb';

export default defineVerb({
  name: 'tenant-drop',
  summary: "Delete a tenant's schema (or database) and registry row; refuses without --yes, and when it would remove anything shared.",
  positional: { value: 'id', field: 'tenantId', name: 'id', description: 'The tenant id.' },
  options: [...APP, ...OUTPUT, { name: 'yes', kind: 'boolean', description: "The confirmation: it deletes the tenant's data." }],
  async run(options) {
    const { dropTenant } = await import('../../commands/tenants');
    const result = await dropTenant({
      ...options,
      workspaceRoot: options.workspaceRoot ?? process.cwd(),
      id: options.tenantId ?? '',
      confirm: options.yes === true,
      database: options.databases?.[0],
    });
    return { doc: { command: 'tenant-drop', ok: true, ...result }, text: `tenant ${result.tenant}: dropped ${result.dropped} and its registry row`, exitCode: EXIT_OK };
  },
});
