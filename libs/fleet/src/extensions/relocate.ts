/**
 * `fleet extensions relocate`: moves extensions that sit where the targets must not resolve them
 * into the schema every target of their database sees, with `ALTER EXTENSION ... SET SCHEMA`.
 *
 * Why a command and not a wider search_path: an extension in `public` (an earlier `typeorm` run)
 * would put `public`, where the global track's tables live, on every tenant's path, so a tenant
 * migration's unqualified name that its schema lacks would act on a global table; an extension in
 * the first tenant's schema (TypeORM's per-schema `migration:run`) would put that tenant on every
 * other tenant's path, and `tenant drop` of it would take the extension from everyone. Moving the
 * extension once is the only fix that leaves each tenant's names its own.
 *
 * What moves, per database (and only that): an extension the migrations need (the config's, the
 * entities', the tenant track's CREATE EXTENSIONs) that the targets' sessions do not see, and any
 * extension installed inside a tenant's schema. Other extensions are left where they are (a
 * monitoring tool may call `pg_stat_statements` in `public`). The plan is read from the catalogs;
 * applying re-reads it under the per-database extensions lock, in one transaction per database,
 * so a rerun (or a concurrent run) finds nothing to do.
 */
import type { LoadedConfig } from '../config/load-config';
import { commandsFor } from '../config/nx-project';
import { ConnectionSpec, databaseKey } from '../db/connection-spec';
import type { SqlSession } from '../db/session';
import { quoteIdent } from '../identifiers';
import { targetLockKey } from '../locking/target-lock';
import { ExtensionError, ExtensionNeeds } from './extensions';
import { printable } from '../terminal-text';

/** The verb (and Nx target) that moves extensions: every extension error names it. */
export const RELOCATE_VERB = 'extensions-relocate';

/** The command as the user types it for this app: the CLI form, and the Nx form where the workspace has the plugin. */
export function relocateCommand(config: Pick<LoadedConfig, 'app' | 'file' | 'workspaceRoot'>): string {
  const { cli, nx } = commandsFor(RELOCATE_VERB, config.file, config.workspaceRoot, config.app);
  return `\`${cli}\`${nx ? ` (Nx: \`${nx}\`)` : ''}`;
}

/** The sentence every misplaced-extension error ends with. */
export function relocateFix(config: Pick<LoadedConfig, 'app' | 'file' | 'workspaceRoot'>): string {
  return (
    `Move it with ${relocateCommand(config)}: it prints the ALTER EXTENSION ... SET SCHEMA statement for each database, ` +
    'then runs them once confirmed (pass --yes off a terminal)'
  );
}

/** One extension to move. */
export interface ExtensionMove {
  extension: string;
  from: string;
  to: string;
  /** Why it moves (or, in `blocked`, why it cannot). */
  reason: string;
}

/** What relocation means for one database. */
export interface DatabaseRelocation {
  database: string;
  /** The schema every target of this database sees, where extensions belong. */
  schema: string;
  moves: ExtensionMove[];
  /** The exact SQL, in order (run in one transaction). */
  statements: string[];
  /** Extensions that should move but cannot with ALTER EXTENSION (not relocatable). */
  blocked: ExtensionMove[];
  /** The database could not be read or changed (the others still were). */
  error: Record<string, unknown> | null;
}

export interface RelocationReport {
  app: string;
  /** false: a dry run (nothing was changed). */
  applied: boolean;
  databases: DatabaseRelocation[];
  /** Tenants discovery could not list (their schemas were not looked at): one line each. */
  notes: string[];
}

/** How one kind of target sees its database: a global target, a tenant track, one tenant. */
export interface DatabaseView {
  connection: ConnectionSpec;
  needs: ExtensionNeeds | null;
  /** A tenant's own schema in a shared database (null: not a tenant, or a database of its own). */
  tenantSchema: string | null;
}

/** One database, with what all its targets see. */
export interface DatabaseScope {
  database: string;
  connection: ConnectionSpec;
  /** The schema extensions belong in (the targets' ExtensionNeeds.schema). */
  home: string;
  /** Schemas every target of the database sees. */
  visible: Set<string>;
  /** Extensions the migrations need. */
  needed: Set<string>;
  /** Tenant schemas of the database (schema-per-tenant). */
  tenantSchemas: Set<string>;
}

/** Groups views by database: what every one of its targets sees, needs, and which schemas are tenants'. */
export function databaseScopes(views: DatabaseView[]): DatabaseScope[] {
  const scopes = new Map<string, DatabaseScope>();
  for (const { connection, needs, tenantSchema } of views) {
    if (!needs) continue;
    const key = databaseKey(connection);
    let scope = scopes.get(key);
    if (!scope) {
      scope = { database: connection.database, connection, home: needs.schema, visible: new Set(needs.visible), needed: new Set(), tenantSchemas: new Set() };
      scopes.set(key, scope);
    }
    for (const s of [...scope.visible]) if (!needs.visible.includes(s)) scope.visible.delete(s);
    for (const n of needs.names) scope.needed.add(n);
    if (tenantSchema !== null && tenantSchema !== needs.schema && !needs.visible.includes(tenantSchema)) scope.tenantSchemas.add(tenantSchema);
  }
  return [...scopes.values()];
}

export interface Installed {
  extname: string;
  nspname: string;
  relocatable: boolean;
}

async function readInstalled(session: SqlSession): Promise<Installed[]> {
  return session.query<Installed>(
    `SELECT e.extname, n.nspname, e.extrelocatable AS relocatable FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname <> 'plpgsql' ORDER BY e.extname`,
  );
}

/** The moves and statements for one database, from its catalog (pure). */
export function planDatabase(
  scope: Pick<DatabaseScope, 'database' | 'home' | 'visible' | 'needed' | 'tenantSchemas'>,
  installed: Installed[],
  homeExists: boolean,
): Omit<DatabaseRelocation, 'error'> {
  const moves: ExtensionMove[] = [];
  const blocked: ExtensionMove[] = [];
  for (const e of installed) {
    if (e.nspname === scope.home || e.nspname === 'pg_catalog') continue;
    let reason: string | null = null;
    if (scope.tenantSchemas.has(e.nspname)) {
      reason = 'a tenant schema: the other tenants do not see it, and dropping that tenant would drop it for the whole database';
    } else if (scope.needed.has(e.extname) && !scope.visible.has(e.nspname)) {
      reason = `the migrations need it, and the targets' sessions do not look there (they see ${[...scope.visible].join(', ')})`;
    }
    if (reason === null) continue;
    const move = { extension: e.extname, from: e.nspname, to: scope.home, reason };
    if (e.relocatable) moves.push(move);
    else
      blocked.push({
        ...move,
        reason: `${reason}; it is not relocatable (ALTER EXTENSION ... SET SCHEMA refuses it): move it by hand (DROP EXTENSION and CREATE EXTENSION ... WITH SCHEMA ${quoteIdent(scope.home)} drop and re-create what depends on it)`,
      });
  }
  const statements = moves.map((m) => `ALTER EXTENSION ${quoteIdent(m.extension)} SET SCHEMA ${quoteIdent(m.to)}`);
  if (statements.length && !homeExists) statements.unshift(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(scope.home)}`);
  return { database: scope.database, schema: scope.home, moves, statements, blocked };
}

/**
 * Plans one database's relocation on `session` and, with `apply`, runs it: one transaction under
 * the per-database extensions lock, the plan read again inside it (only what is still to do runs).
 */
export async function relocateDatabase(session: SqlSession, scope: DatabaseScope, apply: boolean): Promise<DatabaseRelocation> {
  const read = async () => {
    const [home] = await session.query<{ exists: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1) AS exists', [scope.home]);
    return planDatabase(scope, await readInstalled(session), home.exists);
  };
  const planned = await read();
  if (!apply || planned.statements.length === 0) return { ...planned, error: null };
  const key = targetLockKey(scope.database, scope.home, '<extensions>'); // the lock ensureExtensions takes
  await session.query('BEGIN');
  try {
    await session.query('SELECT pg_catalog.pg_advisory_xact_lock($1::int4, $2::int4)', [key.classId, key.objectId]);
    const locked = await read();
    for (const sql of locked.statements) {
      try {
        await session.query(sql);
      } catch (cause) {
        throw new ExtensionError(
          `${sql} failed on database ${scope.database}: ${(cause as Error).message}. Nothing was moved in this database. ` +
            "ALTER EXTENSION needs the extension's owner (or a superuser): run the command as that role.",
          { database: scope.database, statement: sql, sqlState: (cause as { code?: string }).code },
          { cause },
        );
      }
    }
    await session.query('COMMIT');
    return { ...locked, error: null };
  } catch (err) {
    await session.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** The text report: the statements per database, exactly as they run. */
export function formatRelocation(report: RelocationReport): string {
  const lines: string[] = [];
  for (const d of report.databases) {
    if (d.error) {
      lines.push(`database ${d.database}: ${printable(d.error.message)}`);
      continue;
    }
    if (d.statements.length === 0 && d.blocked.length === 0) {
      lines.push(`database ${d.database}: nothing to relocate (extensions are where every target sees them)`);
      continue;
    }
    lines.push(`database ${d.database}:`);
    for (const sql of d.statements) {
      const move = d.moves.find((m) => sql === `ALTER EXTENSION ${quoteIdent(m.extension)} SET SCHEMA ${quoteIdent(m.to)}`);
      lines.push(`  ${printable(sql)};${move ? `  -- from ${printable(move.from)}: ${printable(move.reason)}` : ''}`);
    }
    for (const b of d.blocked) lines.push(`  cannot move ${printable(b.extension)} (schema ${printable(b.from)}): ${printable(b.reason)}`);
  }
  if (report.databases.length === 0) lines.push(`${report.app}: no database to look at (none of its databases exists yet): nothing to relocate`);
  for (const n of report.notes) lines.push(`note: ${n}`);
  const count = report.databases.reduce((n, d) => n + d.statements.length, 0);
  if (count > 0) {
    const schemas = [...new Set(report.databases.filter((d) => d.statements.length).map((d) => d.schema))].join(', ');
    lines.push(
      report.applied
        ? `ran ${count} statement(s). Column defaults and other objects keep working (they refer to the functions themselves); a session of your own whose search_path lacks ${schemas} must add it, or qualify its calls.`
        : `nothing was changed: ${count} statement(s) to run. A session of your own whose search_path lacks ${schemas} must add it afterwards, or qualify its calls.`,
    );
  }
  return lines.join('\n');
}

/** How many statements the report holds, and whether every database was fine. */
export function relocationSummary(report: RelocationReport): { statements: number; ok: boolean } {
  return {
    statements: report.databases.reduce((n, d) => n + d.statements.length, 0),
    ok: report.databases.every((d) => d.error === null && d.blocked.length === 0),
  };
}
