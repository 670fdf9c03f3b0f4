/**
 * Which names a tenant template must never produce. A tenant's schema or database is created,
 * migrated and dropped (CASCADE) by tenant commands, and every schema or database shaped like the
 * template counts as a tenant's (orphans): a template that can yield `public`, a `pg_*` schema or
 * a shared schema hands those to `tenant create` and `tenant drop`, and lists them as orphans.
 *
 * Decided at the template, once, when the config is validated, rather than per id: a template is
 * checked against every name it can produce for a valid id (tenants/tenant-id.ts), so a refused
 * template is refused before any tenant exists, and the fixed part it must have is also what lets
 * orphan detection tell a tenant's schema from any other.
 */
import { assertTenantId } from '../tenants/tenant-id';

/** PostgreSQL's own schemas (every `pg_*` name is reserved too). */
export const SYSTEM_SCHEMAS = ['public', 'information_schema'];
/** Databases every server has. */
export const SYSTEM_DATABASES = ['postgres', 'template0', 'template1'];

function isTenantId(id: string): boolean {
  try {
    assertTenantId(id);
    return true;
  } catch {
    return false;
  }
}

function parts(template: string): [string, string] {
  const at = template.indexOf('{id}');
  return [template.slice(0, at), template.slice(at + '{id}'.length)];
}

/** The tenant id for which `template` gives `name`, or null when no valid id does. */
export function idForName(template: string, name: string): string | null {
  const [prefix, suffix] = parts(template);
  if (name.length <= prefix.length + suffix.length || !name.startsWith(prefix) || !name.endsWith(suffix)) return null;
  const id = name.slice(prefix.length, name.length - suffix.length);
  return isTenantId(id) ? id : null;
}

/** Whether some valid id makes `template` give a name that starts with `start` (e.g. `pg_`). */
export function canStartWith(template: string, start: string): boolean {
  const [prefix, suffix] = parts(template);
  if (prefix.startsWith(start)) return true;
  if (!start.startsWith(prefix)) return false;
  const rest = start.slice(prefix.length);
  for (let n = 1; n < rest.length; n++) if (isTenantId(rest.slice(0, n)) && suffix.startsWith(rest.slice(n))) return true;
  return isTenantId(rest) || isTenantId(`${rest}a`);
}

/**
 * The problem with a tenant template, or null. `reserved`: the names it must never give (the
 * shared schemas, the database's own schema...); for schemas, PostgreSQL's own are added.
 */
export function templateProblem(template: string, kind: 'schema' | 'database', reserved: readonly string[]): string | null {
  if (!template.includes('{id}')) return null; // reported by the field's own check
  const example = kind === 'schema' ? 'tenant_{id}' : 'app_{id}';
  if (template === '{id}') {
    return (
      `must have a fixed part around {id} (e.g. "${example}"): with {id} alone every ${kind} of the database looks like a tenant's, ` +
      `and a tenant id could name ${kind === 'schema' ? 'public, a pg_* schema or a shared schema' : 'any database on the server'}`
    );
  }
  if (kind === 'schema' && canStartWith(template, 'pg_')) {
    return `can give a "pg_" name, which PostgreSQL reserves for its own schemas: use another fixed part (e.g. "${example}")`;
  }
  const names = [...new Set([...(kind === 'schema' ? SYSTEM_SCHEMAS : SYSTEM_DATABASES), ...reserved])];
  const hits = names.map((name) => ({ name, id: idForName(template, name) })).filter((h) => h.id !== null);
  if (hits.length === 0) return null;
  return (
    `gives ${hits.map((h) => `${h.name} for the tenant id "${h.id}"`).join(', ')}, ` +
    `a ${kind} that is not a tenant's (tenant create would migrate it, tenant drop would drop it): use a fixed part no such name has (e.g. "${example}")`
  );
}
