import { ConfigError } from '../errors';
import { assertConfigIdentifier, qualify, quoteIdent } from '../identifiers';
import { assertTenantId } from '../tenants/tenant-id';
import type { ResolvedDatabase } from './runtime';
import { CommonOptions, FleetRuntime, withRuntime } from './runtime';

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

/** Registers tenants without migrating them (the next `migrate` does). Returns how many were new. */
export function registerTenants(options: RegisterTenantsOptions): Promise<number> {
  const { tenants, database, ...common } = options;
  return withRuntime({ ...common, databases: database ? [database] : undefined }, { createDatabases: true }, (runtime) =>
    insertIntoRegistry(runtime, tenantDatabase(runtime, database), tenants),
  );
}
