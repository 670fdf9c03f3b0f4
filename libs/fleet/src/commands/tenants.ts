import { ConfigError, FleetError } from '../errors';
import type { RunReport } from '../executor/result';
import { runFleet } from '../executor/run-fleet';
import { targetLockKey, withTargetLock } from '../locking/target-lock';
import { withDatabase } from '../db/connection-spec';
import { withClient } from '../db/server';
import type { SqlSession } from '../db/session';
import { assertConfigIdentifier, qualify, quoteIdent } from '../identifiers';
import { assertTenantId } from '../tenants/tenant-id';
import { prepareMigrate } from './lint';
import { removeFromLedger } from '../tenancy/presence';
import { removeFromIndex } from '../storage/fleet-index';
import { relocateCommand } from '../extensions/relocate';
import type { ResolvedDatabase } from './runtime';
import { CommonOptions, FleetRuntime, withRuntime } from './runtime';
import { callerFile, locateFromCaller } from './caller-location';
import { RefillOutcome, refillPool, takeFromPool } from './pool-onboard';
import { takeFast } from './pool-fast-path';

export interface RegisterTenantsOptions extends Omit<CommonOptions, 'tenants'> {
  /** The database key whose tenant registry to write (default: the app's only tenant database). */
  database?: string;
  tenants: NewTenant[];
}

export interface NewTenant {
  id: string;
  attributes?: Record<string, string | number | boolean | null>;
}

/** The app's database with a tenant track (the one named, or the only one). */
export function tenantDatabase(runtime: FleetRuntime, key: string | undefined): ResolvedDatabase {
  const candidates = runtime.databases.filter((d) => d.db.tenants && (key === undefined || d.db.key === key));
  if (candidates.length === 0) {
    throw new ConfigError(key ? `Database ${key} of app ${runtime.config.app} has no tenant track.` : `App ${runtime.config.app} has no database with a tenant track.`);
  }
  if (candidates.length > 1) throw new ConfigError(`App ${runtime.config.app} has several tenant databases (${candidates.map((c) => c.db.key).join(', ')}): pass --database.`);
  return candidates[0];
}

/**
 * Adds tenants to the registry table (idempotent: existing ids are left alone). Ids are checked
 * before any SQL; attribute names must be plain identifiers and travel quoted, values as parameters.
 */
export async function insertIntoRegistry(runtime: FleetRuntime, d: ResolvedDatabase, tenants: NewTenant[]): Promise<number> {
  const registry = d.db.tenants?.registry;
  if (!registry) {
    throw new ConfigError(`${runtime.config.app}/${d.db.key} has no tenant registry: set tenants.registry ({ table: 'tenants' }) in its Fleet config.`);
  }
  const ids = tenants.map((t) => assertTenantId(t.id));
  const columns = [...new Set(tenants.flatMap((t) => Object.keys(t.attributes ?? {})))].map((c) => assertConfigIdentifier('tenant attribute', c));
  const names = [registry.idColumn, ...columns];
  const arrays: unknown[][] = [ids, ...columns.map((c) => tenants.map((t) => (t.attributes?.[c] === undefined ? null : String(t.attributes[c]))))];
  const pool = await runtime.connections.pool(d.spec);
  return pool.withSession(async (session) => {
    await assertRegistryColumns(session, registry, columns, 'required');
    const rows = await session.query<{ n: number }>(
      `WITH inserted AS (
         INSERT INTO ${qualify(registry.schema, registry.table)} (${names.map(quoteIdent).join(', ')})
         SELECT * FROM unnest(${names.map((_, i) => `$${i + 1}::text[]`).join(', ')})
         ON CONFLICT (${quoteIdent(registry.idColumn)}) DO NOTHING RETURNING 1)
       SELECT count(*)::int AS n FROM inserted`,
      arrays,
    );
    return rows[0].n;
  });
}

/**
 * Refuses attribute names the registry table has no column for, before anything is created: an
 * INSERT naming an unknown column fails only after the tenant's schema exists. `ifPresent`: a
 * registry table that does not exist yet (the global track creates it) is not an error.
 */
async function assertRegistryColumns(
  session: SqlSession,
  registry: { schema: string; table: string; idColumn: string },
  attributes: string[],
  table: 'required' | 'ifPresent',
): Promise<'checked' | 'absent'> {
  const rows = await session.query<{ exists: boolean; columns: string[] | null }>(
    `SELECT pg_catalog.to_regclass($1) IS NOT NULL AS exists,
            (SELECT array_agg(attname::text ORDER BY attnum) FROM pg_catalog.pg_attribute
              WHERE attrelid = pg_catalog.to_regclass($1) AND attnum > 0 AND NOT attisdropped) AS columns`,
    [qualify(registry.schema, registry.table)],
  );
  const where = `${registry.schema}.${registry.table}`;
  if (!rows[0].exists) {
    if (table === 'ifPresent') return 'absent';
    throw new ConfigError(`The tenant registry table ${where} does not exist: create it with a global migration (it needs a ${registry.idColumn} column). Nothing was created.`, {
      registry: where,
    });
  }
  const columns = rows[0].columns ?? [];
  const unknown = [registry.idColumn, ...attributes].filter((c) => !columns.includes(c));
  if (unknown.length === 0) return 'checked';
  throw new ConfigError(
    `The tenant registry ${where} has no column ${unknown.join(', ')} (its columns: ${columns.join(', ')}). Nothing was created: ` +
      `drop ${unknown.map((c) => `--attr ${c}=...`).join(', ')} or add the column with a global migration, then try again.`,
    { registry: where, unknownColumns: unknown, columns },
  );
}

/** Registers tenants without migrating them (the next `migrate` does). Returns how many were new. */
export function registerTenants(options: RegisterTenantsOptions): Promise<number> {
  const { tenants, database, ...common } = locateFromCaller(options, callerFile(registerTenants), 'registerTenants()');
  return withRuntime({ ...common, databases: database ? [database] : undefined }, { createDatabases: true }, (runtime) =>
    insertIntoRegistry(runtime, tenantDatabase(runtime, database), tenants),
  );
}

export interface CreateTenantOptions extends Omit<CommonOptions, 'tenants'> {
  /** The new tenant's id (checked before any SQL runs). */
  id: string;
  /** Registry columns to set (plan, region...); also what conditional migrations see. */
  attributes?: NewTenant['attributes'];
  /** The tenant database key, when the app has several. */
  database?: string;
  /**
   * With a pool (`tenants.pool`), after a spare was taken: `background` (default) refills the pool
   * after this call returns (`result.refill` says when it is done); `wait` refills before returning;
   * `none` leaves it to `migrate`.
   */
  refill?: 'background' | 'wait' | 'none';
}

export interface CreateTenantResult {
  tenant: string;
  target: string;
  /** Schema (schema strategy) or database (database strategy) that holds the tenant. */
  location: string;
  /** False when the tenant already existed (the call is idempotent). */
  registered: boolean;
  /** `pool`: a spare at head was renamed into the tenant; `full-track`: the tenant track ran from its first migration. */
  path: 'pool' | 'full-track';
  /** pool: the spare it got. full-track with a pool: why no spare was taken. */
  spare?: string;
  poolFallback?: string;
  /** The tenant track's migrations applied to the tenant's schema: by this call, or on the spare it got. */
  applied: string[];
  report: RunReport;
  /** pool: the refill after the take (background: settles after the call returned; never rejects). */
  refill?: Promise<RefillOutcome>;
}

/**
 * The config comes from `config` (an absolute path, or one relative to the calling module or a
 * folder above it), or from `app` (`apps/<app>/fleet.config.ts` above the calling module); never
 * from the working directory. `workspaceRoot` given: as the CLI does (see caller-location.ts).
 *
 * Onboards a tenant the way every tenant got its tables: the global track to head, then the
 * tenant track from the first migration to head on the new schema (or database), under the
 * tenant's lock; the registry row is written only once the tenant is at head. Idempotent, and
 * safe when two calls race for the same id (the lock serialises them, the insert ignores a dup).
 */
export async function createTenant(options: CreateTenantOptions): Promise<CreateTenantResult> {
  const caller = callerFile(createTenant); // before the first await: the stack still holds the caller
  const id = assertTenantId(options.id); // before any connection, let alone SQL
  const { database, attributes, refill, ...common } = locateFromCaller(options, caller, 'createTenant()');
  let refillFrom: string | undefined;
  // With a pool, a take first, without a runtime (pool-fast-path.ts); null: this setup takes inside the runtime.
  const fast = await takeFast(common, database, id, attributes ?? {});
  if (fast && 'spare' in fast) {
    const refilled = refill === 'none' ? undefined : refillPool(common, fast.report.results[0].database);
    if (refill === 'wait') await refilled;
    const { location, ...take } = fast;
    return { tenant: id, target: take.report.results[0].target, location, registered: true, path: 'pool', ...take, ...(refilled ? { refill: refilled } : {}) };
  }
  const created = await withRuntime({ ...common, databases: database ? [database] : undefined }, { createDatabases: true }, async (runtime): Promise<CreateTenantResult> => {
    const d = tenantDatabase(runtime, database);
    if (!d.db.tenants?.registry) {
      throw new ConfigError(`tenant create needs a registry: set tenants.registry ({ table: 'tenants' }) for ${runtime.config.app}/${d.db.key}.`);
    }
    const registry = d.db.tenants.registry;
    const columns = Object.keys(attributes ?? {}).map((c) => assertConfigIdentifier('tenant attribute', c));
    const pool = await runtime.connections.pool(d.spec);
    // Registry columns checked before the tenant's schema or database exists (again after the global track when it creates the table).
    const checked = await pool.withSession((session) => assertRegistryColumns(session, registry, columns, 'ifPresent'));
    let poolFallback = fast?.fallback;
    if (!fast && d.db.tenants.pool.size > 0 && checked === 'checked') {
      const taken = await takeFromPool(runtime, d, id, attributes ?? {});
      if (!('fallback' in taken)) {
        refillFrom = d.db.key;
        const location = d.strategy!.locationName(runtime.tenantLocation(d, id));
        return { tenant: id, target: taken.report.results[0].target, location, registered: true, path: 'pool', spare: taken.spare, applied: taken.applied, report: taken.report };
      }
      poolFallback = taken.fallback;
    }
    const target = runtime.tenantTarget(d, { id, attributes: attributes ?? {} }, { createDatabases: true });
    const refuseByTrack = await prepareMigrate(runtime);
    const report = await runFleet(
      'tenant create',
      [
        d.globalTargets,
        async () => {
          if (checked === 'absent') await pool.withSession((session) => assertRegistryColumns(session, registry, columns, 'required'));
          return { targets: [target], results: [] };
        },
      ],
      { kind: 'migrate', ensureHistory: true, refuseByTrack },
      {
        concurrency: 1,
        connections: runtime.connections,
        emit: runtime.emit,
        signal: runtime.signal,
        watchdog: runtime.watchdog,
      },
    );
    const result = report.results.find((r) => r.target === target.id);
    if (!report.ok || !result) {
      const failed = report.results.find((r) => r.outcome !== 'changed' && r.outcome !== 'unchanged');
      throw new TenantOnboardingError(id, String(failed?.failed?.error.message ?? failed?.findings.map((f) => f.message).join('; ') ?? 'unknown error'), report);
    }
    const registered = (await insertIntoRegistry(runtime, d, [{ id, attributes }])) === 1;
    await runtime.recordTenants(report.results);
    return {
      tenant: id,
      target: target.id,
      location: d.strategy!.locationName(runtime.tenantLocation(d, id)),
      registered,
      path: 'full-track',
      ...(poolFallback !== undefined ? { poolFallback } : {}),
      applied: result.applied,
      report,
    };
  });
  if (refillFrom === undefined || refill === 'none') return created;
  const refilled = refillPool(common, refillFrom);
  if (refill === 'wait') await refilled;
  return { ...created, refill: refilled };
}

export interface DropTenantOptions extends Omit<CommonOptions, 'tenants'> {
  id: string;
  database?: string;
  /** Must be true: dropping a tenant deletes its schema or database with all its data. */
  confirm: boolean;
}

/**
 * Deletes a tenant: its schema (CASCADE) or database, and its registry row. Refuses without
 * `confirm`, and for a tenant that discovery does not know.
 */
export async function dropTenant(options: DropTenantOptions): Promise<{ tenant: string; dropped: string }> {
  const caller = callerFile(dropTenant);
  const id = assertTenantId(options.id);
  if (options.confirm !== true) {
    throw new ConfigError(`Refusing to drop tenant ${id} without confirmation: it deletes the tenant's schema or database and all its data. Pass --yes.`);
  }
  const { database, confirm: _confirm, ...common } = locateFromCaller(options, caller, 'dropTenant()');
  return withRuntime({ ...common, databases: database ? [database] : undefined }, { createDatabases: false }, async (runtime) => {
    const d = tenantDatabase(runtime, database);
    const known = await runtime.tenantTargets();
    const target = known.targets.find((t) => t.info.tenant === id && t.info.database === d.db.key);
    if (!target) throw new ConfigError(`Unknown tenant ${id} in ${runtime.config.app}/${d.db.key}: nothing dropped.`, { tenant: id });
    const registry = d.db.tenants!.registry;
    const location = runtime.tenantLocation(d, id);
    const home = { spec: d.spec, maintenanceDatabase: d.maintenanceDatabase, tenants: d.db.tenants! };
    const pool = await runtime.connections.pool(d.spec);
    // The tenant's lock is held for the whole drop: no migrate of this tenant runs meanwhile.
    const dropped = await pool.withSession((lockSession) =>
      withTargetLock(
        lockSession,
        targetLockKey(target.connection.database, target.info.schema, target.versionTable),
        { waitMs: target.settings.lockWaitMs, target: target.id },
        () =>
          d.strategy!.drop({
            home,
            location,
            onHome: async (fn) => fn(lockSession),
            onMaintenance: (fn) =>
              withClient(withDatabase(d.spec, d.maintenanceDatabase), runtime.settings, (client) =>
                fn({ query: async (sql, params) => (await client.query(sql, params as unknown[])).rows }),
              ),
            releaseTenantDatabase: async () => void (await runtime.connections.release(target.connection)),
            unregister: async (session) => {
              if (registry) await session.query(`DELETE FROM ${qualify(registry.schema, registry.table)} WHERE ${quoteIdent(registry.idColumn)} = $1`, [id]);
              await removeFromLedger(session, d.db.schema, id);
              // A schema tenant's index row is in the home database: gone in the drop's transaction (a database tenant's goes with its database).
              if (!d.strategy!.databasePerTenant) await removeFromIndex(session, d.db.schema, target.info.schema, target.versionTable);
            },
            relocateCommand: () => relocateCommand(runtime.config),
          }),
      ),
    );
    return { tenant: id, dropped };
  });
}

/** Onboarding did not reach head; the registry was not written, a retry continues where it stopped. */
export class TenantOnboardingError extends FleetError {
  constructor(
    tenant: string,
    reason: string,
    readonly report: RunReport,
  ) {
    super('TENANT_ONBOARDING_FAILED', `Tenant ${tenant} was not created: ${reason}. It is not registered; fix the cause and run tenant create again.`, { tenant });
  }
}
