/**
 * Tenancy strategies: where a tenant lives and what that means for a session, an extension, a
 * drop. Callers hold a `TenancyStrategy` and never ask which one it is; a new strategy is a new
 * object here.
 */
import type { LoadedTenants } from '../config/load-config';
import type { ConnectionSpec } from '../db/connection-spec';
import { withDatabase } from '../db/connection-spec';
import type { SqlSession } from '../db/session';
import { FleetError } from '../errors';
import { quoteIdent } from '../identifiers';
import { tenantObjectName } from '../tenants/tenant-id';
import { databaseSpares, schemaSpares, SpareKind, TENANT_DATABASE_SCHEMA } from './spare-kinds';

/** The database that holds a tenant track's configuration (its global schema and registry). */
export interface TenantHome {
  spec: ConnectionSpec;
  maintenanceDatabase: string;
  tenants: LoadedTenants;
}

export interface TenantLocation {
  connection: ConnectionSpec;
  schema: string;
  /** Create the tenant's database first, through this maintenance database (null: never). */
  createDatabase: string | null;
}

/** What a strategy needs to delete a tenant (connections come from the caller's budget). */
export interface TenantDropContext {
  home: TenantHome;
  location: TenantLocation;
  /** Runs fn on a session of the tenant's home database. */
  onHome<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /** Runs fn on a session of the maintenance database (to drop a database). */
  onMaintenance<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /** Closes the pool of the tenant's own database before it is dropped. */
  releaseTenantDatabase(): Promise<void>;
  /** Deletes the registry row; runs inside the drop's transaction where there is one. */
  unregister(session: SqlSession): Promise<void>;
  /** The command that moves extensions out of a tenant, as the user types it (see extensions/relocate.ts). */
  relocateCommand?: () => string;
}

export interface TenancyStrategy {
  readonly kind: LoadedTenants['strategy'];
  /** Where one tenant lives. */
  locate(home: TenantHome, id: string, mode: { createDatabases: boolean }): TenantLocation;
  /** The name of the tenant's own place: its schema, or its database (`kind` says which). */
  locationName(location: TenantLocation): string;
  /** Schemas after the target's own on the search_path of every session of a database of this strategy. */
  sharedSchemas(tenants: LoadedTenants): string[];
  /** The schema a database's extensions are installed into, given the database's own schema. */
  extensionSchema(tenants: LoadedTenants, databaseSchema: string): string;
  /** A warning about the number of tenants in one database, or null. */
  scaleWarning(tenants: LoadedTenants, count: number, where: string): string | null;
  /** The schema of the tenant's database that holds its fleet index row (storage/fleet-index.ts). */
  indexSchema(globalSchema: string, location: TenantLocation): string;
  /** True when each tenant has its own database (its connections are released after it is scanned). */
  readonly databasePerTenant: boolean;
  /** Deletes the tenant's schema or database and its registry row; refuses to touch anything shared. */
  drop(ctx: TenantDropContext): Promise<string>;
  /** The spares of its tenant pool (`tenants.pool`): spare schemas, or spare databases (tenancy/spare-kinds.ts). */
  readonly spares: SpareKind;
}

/** Dropping the tenant would remove something outside it: an extension, or an object others use. */
export class TenantDropRefusedError extends FleetError {
  constructor(message: string, details: Record<string, unknown>) {
    super('TENANT_DROP_REFUSED', message, details);
  }
}

const schemaStrategy: TenancyStrategy = {
  kind: 'schema',
  databasePerTenant: false,
  spares: schemaSpares,
  locate(home, id) {
    return { connection: home.spec, schema: tenantObjectName('tenant schema', home.tenants.schemaTemplate, id), createDatabase: null };
  },
  locationName: (location) => location.schema,
  // Beside the registry: one row per tenant in the home database, written in each tenant's transaction.
  indexSchema: (globalSchema) => globalSchema,
  sharedSchemas: (tenants) => tenants.sharedSchemas,
  extensionSchema: (tenants) => tenants.sharedSchemas[0],
  scaleWarning(tenants, count, where) {
    if (count <= tenants.maxSchemasPerDatabase) return null;
    return (
      `warning: ${where} holds ${count} tenant schemas, more than ${tenants.maxSchemasPerDatabase} (maxSchemasPerDatabase). ` +
      'A whole-database pg_dump locks every table in one transaction: raise max_locks_per_transaction (the default 64 x max_connections slots hold about 6400 locks, ' +
      '1000 tenants of 6 tables); the catalog grows about 90 KB per tenant of 5 tables and autovacuum must keep up with its dead rows after each migration. ' +
      'Fleet itself stays linear (BENCHMARKS.md, "Fleet at 100,000 tenants"); if this size is intended, raise maxSchemasPerDatabase; otherwise consider a database per tenant, or shared tables with row-level security.'
    );
  },
  async drop(ctx) {
    const schema = ctx.location.schema;
    await ctx.onHome(async (session) => {
      await session.query('BEGIN');
      try {
        await assertNothingSharedIn(session, schema, ctx.relocateCommand);
        await session.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
        await ctx.unregister(session);
        await session.query('COMMIT');
      } catch (err) {
        await session.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
    return `schema ${schema}`;
  },
};

const databaseStrategy: TenancyStrategy = {
  kind: 'database',
  databasePerTenant: true,
  spares: databaseSpares,
  locate(home, id, mode) {
    return {
      connection: withDatabase(home.spec, tenantObjectName('tenant database', home.tenants.databaseTemplate, id)),
      schema: TENANT_DATABASE_SCHEMA,
      createDatabase: mode.createDatabases && home.tenants.createDatabase ? home.maintenanceDatabase : null,
    };
  },
  locationName: (location) => location.connection.database,
  // Each tenant database holds its own row (its own transaction); status reads one row per database.
  indexSchema: (_globalSchema, location) => location.schema,
  sharedSchemas: () => [],
  extensionSchema: (_tenants, databaseSchema) => databaseSchema,
  scaleWarning: () => null,
  async drop(ctx) {
    const database = ctx.location.connection.database;
    await ctx.releaseTenantDatabase();
    await ctx.onMaintenance((session) => session.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`));
    await ctx.onHome((session) => ctx.unregister(session));
    return `database ${database}`;
  },
};

const STRATEGIES: Record<LoadedTenants['strategy'], TenancyStrategy> = { schema: schemaStrategy, database: databaseStrategy };

export function tenancyStrategy(tenants: LoadedTenants): TenancyStrategy {
  return STRATEGIES[tenants.strategy];
}

/**
 * Refuses (inside the drop's transaction) when the schema holds an extension, or an object that
 * something outside the schema depends on: a foreign key, a view, a column of its enum type, a
 * default calling its function. DROP SCHEMA ... CASCADE would silently remove those too.
 */
async function assertNothingSharedIn(session: SqlSession, schema: string, relocateCommand?: () => string): Promise<void> {
  const extensions = await session.query<{ extname: string }>(
    `SELECT e.extname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE n.nspname = $1 ORDER BY 1`,
    [schema],
  );
  const dependents = await session.query<{ dependent: string; referenced: string }>(
    `WITH ns AS (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $1),
     inside AS (
       SELECT 'pg_catalog.pg_class'::regclass AS classid, c.oid FROM pg_catalog.pg_class c, ns WHERE c.relnamespace = ns.oid
       UNION ALL SELECT 'pg_catalog.pg_type'::regclass, t.oid FROM pg_catalog.pg_type t, ns WHERE t.typnamespace = ns.oid
       UNION ALL SELECT 'pg_catalog.pg_proc'::regclass, p.oid FROM pg_catalog.pg_proc p, ns WHERE p.pronamespace = ns.oid),
     deps AS (
       SELECT d.classid, d.objid, d.objsubid, d.refclassid, d.refobjid,
         CASE d.classid
           WHEN 'pg_catalog.pg_attrdef'::regclass THEN (SELECT c.relnamespace FROM pg_catalog.pg_attrdef a JOIN pg_catalog.pg_class c ON c.oid = a.adrelid WHERE a.oid = d.objid)
           WHEN 'pg_catalog.pg_rewrite'::regclass THEN (SELECT c.relnamespace FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c ON c.oid = r.ev_class WHERE r.oid = d.objid)
           WHEN 'pg_catalog.pg_trigger'::regclass THEN (SELECT c.relnamespace FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid WHERE t.oid = d.objid)
           WHEN 'pg_catalog.pg_constraint'::regclass THEN (SELECT connamespace FROM pg_catalog.pg_constraint WHERE oid = d.objid)
           ELSE (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = (pg_catalog.pg_identify_object(d.classid, d.objid, d.objsubid)).schema)
         END AS dependent_ns
       FROM pg_catalog.pg_depend d JOIN inside i ON d.refclassid = i.classid AND d.refobjid = i.oid
       WHERE d.deptype IN ('n', 'a'))
     SELECT DISTINCT pg_catalog.pg_describe_object(classid, objid, objsubid) AS dependent, pg_catalog.pg_describe_object(refclassid, refobjid, 0) AS referenced
     FROM deps, ns WHERE dependent_ns IS DISTINCT FROM ns.oid ORDER BY 1, 2 LIMIT 20`,
    [schema],
  );
  if (extensions.length === 0 && dependents.length === 0) return;
  const reasons = [
    ...extensions.map((e) => `extension ${e.extname} is installed in it (dropping the schema drops the extension for the whole database)`),
    ...dependents.map((d) => `${d.dependent} (outside the tenant) depends on ${d.referenced}`),
  ];
  throw new TenantDropRefusedError(
    `Refusing to drop schema ${schema}: ${reasons.join('; ')}. Nothing was dropped. ` +
      [
        extensions.length ? `Move its extensions out with ${relocateCommand?.() ?? 'ALTER EXTENSION ... SET SCHEMA <shared schema>'} (into the shared schema)` : '',
        dependents.length ? 'drop the dependent objects (or move them into the tenant)' : '',
      ]
        .filter(Boolean)
        .join(', and ') +
      ', then drop again.',
    { schema, extensions: extensions.map((e) => e.extname), dependents },
  );
}
