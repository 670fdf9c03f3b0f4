import { APP, OUTPUT } from '../options';
import { defineVerb, EXIT_OK } from '../verb';

export default defineVerb({
  name: 'tenant-create',
  summary:
    'Onboard a tenant: with a pool (tenants.pool), rename a spare already at head; otherwise its schema (or database), the tenant track from the first migration to head, then its registry row.',
  positional: { value: 'id', field: 'tenantId', name: 'id', description: 'The tenant id (a-z, 0-9, "_").' },
  options: [
    ...APP,
    ...OUTPUT,
    { name: 'attr', kind: 'pairs', field: 'attributes', value: 'key=value', description: 'Registry columns to set (plan=pro); also what conditional migrations see.' },
  ],
  async run(options) {
    const { createTenant } = await import('../../commands/tenants');
    const started = Date.now();
    // A command ends with its work: the pool is refilled before it exits (the tenant was usable before).
    const result = await createTenant({
      ...options,
      workspaceRoot: options.workspaceRoot ?? process.cwd(),
      id: options.tenantId ?? '',
      attributes: options.attributes,
      database: options.databases?.[0],
      refill: 'wait',
    });
    const { report, refill, ...rest } = result;
    const refilled = refill ? await refill : undefined;
    const refillDoc =
      refilled === undefined
        ? undefined
        : 'error' in refilled
          ? { error: refilled.error }
          : 'deferred' in refilled
            ? { by: 'worker' }
            : { created: refilled.created, ready: refilled.ready, size: refilled.size, discarded: refilled.discarded };
    const how =
      result.path === 'pool'
        ? `from the pool (spare ${result.spare} renamed; ${result.applied.length} migration(s) it had applied)`
        : `by the full track (${result.applied.length} migration(s) applied${result.poolFallback ? `; no spare: ${result.poolFallback}` : ''})`;
    const refillText =
      refilled === undefined
        ? ''
        : 'error' in refilled
          ? `\npool: refill failed (${String(refilled.error.message)})`
          : 'deferred' in refilled
            ? '\npool: refilled by `fleet worker` (tenants.pool.refill: worker)'
            : `\npool: ${refilled.ready} of ${refilled.size} spare(s) ready (${refilled.created.length} made), ${((Date.now() - started - report.durationMs) / 1000).toFixed(2)} s`;
    return {
      doc: { command: 'tenant-create', ok: true, ...rest, durationMs: report.durationMs, ...(refillDoc ? { refill: refillDoc } : {}) },
      text:
        `tenant ${result.tenant}: ${result.registered ? 'created' : 'already existed'} in ${result.location} (${result.target}) ${how}, ` +
        `${(report.durationMs / 1000).toFixed(2)} s${refillText}`,
      exitCode: EXIT_OK,
    };
  },
});
