/**
 * Discovery: each database's tenants (on its global schema) become targets, with their presence
 * (missing, orphans) and what could not become a target (an unsafe id, a failed discovery, an
 * unknown --tenant) as results.
 */
import { ConfigError, errorToJSON } from '../errors';
import { blankResult, emptyResult, TargetResult } from '../executor/result';
import type { Registration, Target } from '../targets/target';
import { Presence, readPresence, recordInLedger } from '../tenancy/presence';
import { discoverTenants } from '../tenants/discover';
import type { DiscoveryRuntime, ResolvedDatabase, TenantResolution } from './runtime-types';
import { inSlice } from './targets';

/**
 * Discovers each database's tenants (on its global schema) and builds their targets.
 * A database whose global track failed gets no tenant target run: its tenants are reported
 * `not-run`. Invalid tenant ids are reported as failed, never turned into SQL.
 */
export async function resolveTenantTargets(runtime: DiscoveryRuntime, previous: readonly TargetResult[], mode: { createDatabases: boolean }): Promise<TenantResolution> {
  const out: TenantResolution = { targets: [], results: [], missing: new Set(), orphans: [] };
  for (const d of runtime.databases) {
    const tenants = d.db.tenants;
    if (!tenants || !d.tenantMigrations) continue;
    const baseFailed = previous.some(
      (r) => r.app === runtime.config.app && r.database === d.db.key && r.tenant === null && (r.outcome === 'failed' || r.outcome === 'blocked' || r.outcome === 'not-run'),
    );
    const discoveryTarget = `${runtime.config.app}/${d.db.key}/*`;
    let discovery;
    try {
      discovery = runtime.missingDatabases.has(d.spec.database)
        ? { tenants: [], invalid: [] }
        : await (
            await runtime.connections.pool(d.spec)
          ).withSession((session) => discoverTenants(tenants.discover, { query: (sql, params) => session.query(sql, params), app: runtime.config.app, database: d.db.key }));
    } catch (err) {
      if (((err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code) === '42P01') {
        // The registry table does not exist yet: the global track has not created it. No tenants.
        runtime.noticeOnce(`${runtime.config.app}/${d.db.key}: no tenants yet (the global track creates the tenant registry; it has not run here)`);
        continue;
      }
      const result = pseudoResult(runtime.config.app, d, discoveryTarget);
      result.outcome = 'failed';
      result.failed = { migration: null, error: { ...errorToJSON(err), message: `tenant discovery failed: ${errorToJSON(err).message}` } };
      out.results.push(result);
      continue;
    }
    for (const bad of discovery.invalid) {
      const result = pseudoResult(runtime.config.app, d, `${runtime.config.app}/${d.db.key}/${bad.id}`);
      result.outcome = 'failed';
      result.failed = { migration: null, error: { code: 'INVALID_IDENTIFIER', message: bad.reason } };
      out.results.push(result);
    }
    const wanted = runtime.options.tenants ? new Set(runtime.options.tenants) : null;
    if (wanted) {
      const known = new Set(discovery.tenants.map((t) => t.id));
      // Nothing ran yet: a usage error. After the global track changed something, a failed
      // target, so that the exit code says what happened.
      const somethingRan = previous.some((r) => r.outcome === 'changed');
      for (const id of wanted) {
        if (known.has(id)) continue;
        const message = `--tenant ${id}: no such tenant in ${runtime.config.app}/${d.db.key} (discovered ${discovery.tenants.length}).`;
        if (!somethingRan) throw new ConfigError(message, { tenant: id });
        const result = pseudoResult(runtime.config.app, d, `${runtime.config.app}/${d.db.key}/${id}`);
        result.outcome = 'failed';
        result.failed = { migration: null, error: { code: 'UNKNOWN_TENANT', message } };
        out.results.push(result);
      }
    }
    const warning = d.strategy!.scaleWarning(tenants, discovery.tenants.length, `${runtime.config.app}/${d.db.key}`);
    if (warning) runtime.noticeOnce(warning);
    const byTarget = runtime.options.targets ? new Set(runtime.options.targets) : null;
    const presence = await presenceOf(
      runtime,
      d,
      discovery.tenants.map((t) => t.id),
    );
    for (const name of presence.orphans) out.orphans.push({ database: d.db.key, name });
    // One for the database's targets (100,000 tenants held 100,000 copies).
    let registration: Registration | undefined;
    for (const tenant of discovery.tenants) {
      if (wanted && !wanted.has(tenant.id)) continue;
      const id = `${runtime.config.app}/${d.db.key}/${tenant.id}`;
      if (byTarget && !byTarget.has(id)) continue;
      if (!inSlice(id, runtime.options.slice)) continue;
      let target: Target;
      try {
        target = runtime.tenantTarget(d, tenant, mode);
      } catch (err) {
        // An id that fits the id rule but not the name (`tenant_` + 60 bytes): that tenant fails, never the fleet.
        const result = pseudoResult(runtime.config.app, d, id);
        result.outcome = 'failed';
        result.failed = { migration: null, error: errorToJSON(err) };
        out.results.push(result);
        continue;
      }
      // Only a tenant that exists can be dropped under a running migrate: only it gets the
      // registration check under its lock (a new tenant costs no extra round trip).
      const discover = tenants.discover;
      if (presence.present.has(tenant.id) && !d.strategy!.databasePerTenant && typeof discover === 'object' && 'sql' in discover) {
        registration ??= Object.freeze({ sql: discover.sql, globalSchema: d.db.schema });
        target.registration = registration;
      }
      if (presence.missing.has(tenant.id)) {
        out.missing.add(id);
        if (mode.createDatabases && !runtime.options.createMissing) {
          // Registered, migrated before, and gone: never silently re-created empty.
          const result = emptyResult(target);
          result.outcome = 'failed';
          result.failed = {
            migration: null,
            error: {
              code: 'TENANT_MISSING',
              message:
                `tenant ${tenant.id} is registered and was migrated before, but its ${d.strategy!.kind} ${d.strategy!.locationName(runtime.tenantLocation(d, tenant.id))} is gone (dropped outside Fleet?). ` +
                'Restore it from a backup, remove the tenant from the registry, or pass --create-missing to re-create it empty and run every migration.',
            },
          };
          out.results.push(result);
          continue;
        }
      }
      if (baseFailed) {
        const result = emptyResult(target);
        result.failed = { migration: null, error: { code: 'NOT_RUN', message: 'not attempted: the global track of this database failed' } };
        out.results.push(result);
      } else out.targets.push(target);
    }
  }
  return out;
}

/** Which discovered tenants are missing, and which tenant-shaped schemas/databases are orphans (one look per database). */
async function presenceOf(runtime: DiscoveryRuntime, d: ResolvedDatabase, ids: string[]): Promise<Presence> {
  if (runtime.missingDatabases.has(d.spec.database)) return { present: new Set(), missing: new Set(), orphans: [] };
  const locations = new Map<string, string>();
  for (const id of ids) {
    try {
      locations.set(id, d.strategy!.locationName(runtime.tenantLocation(d, id)));
    } catch {
      // an id that cannot become a name is reported by the caller
    }
  }
  const tenants = d.db.tenants!;
  const template = d.strategy!.databasePerTenant ? tenants.databaseTemplate : tenants.schemaTemplate;
  return (await runtime.connections.pool(d.spec)).withSession((session) =>
    readPresence(session, d.db.schema, d.strategy!.kind, template, locations, [...d.strategy!.sharedSchemas(tenants), d.spec.database]),
  );
}

/** Notes the tenants that exist after a migrate in each database's ledger (so that a later loss is `missing`, not new). */
export async function recordTenantsInLedger(runtime: DiscoveryRuntime, results: readonly TargetResult[]): Promise<void> {
  for (const d of runtime.databases) {
    if (!d.strategy) continue;
    const present = results.filter((r) => r.database === d.db.key && r.tenant !== null && (r.outcome === 'changed' || r.outcome === 'unchanged') && r.versionAfter !== null);
    if (present.length === 0) continue;
    const ids = present.map((r) => r.tenant!);
    await (
      await runtime.connections.pool(d.spec)
    ).withSession((session) => recordInLedger(session, d.db.schema, ids, (id) => d.strategy!.locationName(runtime.tenantLocation(d, id))));
  }
}

/** A result for what could not become a target (a failed discovery, an unsafe tenant id). */
function pseudoResult(app: string, d: ResolvedDatabase, id: string): TargetResult {
  return blankResult({ target: id, app, database: d.db.key, schema: d.db.schema, tenant: id.split('/')[2] ?? null });
}
