/**
 * `fleet extensions relocate` as an API: the app's databases, each with what its targets see
 * (the global track, the tenant track even before its first tenant, every discovered tenant),
 * planned and, with `apply`, moved (extensions/relocate.ts holds the rule and the SQL).
 */
import { errorToJSON } from '../errors';
import { DatabaseRelocation, DatabaseView, databaseScopes, relocateDatabase, RelocationReport } from '../extensions/relocate';
import { prepareMigrate } from './lint';
import { CommonOptions, withRuntime } from './runtime';

export interface RelocateExtensionsOptions extends CommonOptions {
  /** Run the statements (default false: only plan them, nothing changes). */
  apply?: boolean;
}

export async function relocateExtensions(options: RelocateExtensionsOptions): Promise<RelocationReport> {
  const { apply, ...common } = options;
  return withRuntime(common, { createDatabases: false }, async (runtime) => {
    // The extensions the migrations need, completed as migrate completes them (config, entities, tenant lint).
    await prepareMigrate(runtime);
    const tenants = await runtime.tenantTargets();
    const views: DatabaseView[] = [];
    for (const d of runtime.databases) {
      for (const t of d.globalTargets) {
        views.push({ connection: t.connection, needs: t.extensions, tenantSchema: null });
        // Tenants that live in this database (schemas) see it through the tenant track's needs.
        if (d.strategy && !d.strategy.databasePerTenant) views.push({ connection: t.connection, needs: d.extensions.tenant, tenantSchema: null });
      }
    }
    for (const t of tenants.targets) views.push({ connection: t.connection, needs: t.extensions, tenantSchema: t.info.schema });
    const databases: DatabaseRelocation[] = [];
    for (const scope of databaseScopes(views.filter((v) => !runtime.missingDatabases.has(v.connection.database)))) {
      try {
        databases.push(await (await runtime.connections.pool(scope.connection)).withSession((session) => relocateDatabase(session, scope, apply === true)));
      } catch (err) {
        // One database that cannot be read or changed never hides what the others did.
        databases.push({ database: scope.database, schema: scope.home, moves: [], statements: [], blocked: [], error: errorToJSON(err) });
      }
    }
    return {
      app: runtime.config.app,
      applied: apply === true,
      databases,
      notes: tenants.results.map((r) => `${r.target}: not looked at (${String(r.failed?.error.message ?? r.outcome)})`),
    };
  });
}
