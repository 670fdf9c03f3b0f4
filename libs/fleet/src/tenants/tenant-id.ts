import { InvalidIdentifierError } from '../errors';
import { assertSafeIdentifier, MAX_IDENTIFIER_BYTES } from '../identifiers';

const TENANT_ID = /^[a-z0-9][a-z0-9_]*$/;
const RESERVED_IDS = new Set(['public', 'information_schema', 'pg_catalog', 'pg_toast', 'postgres', 'template0', 'template1']);

/**
 * A tenant id becomes part of a schema or database name, so it is checked before any SQL runs:
 * lower-case ASCII letters, digits and "_", starting with a letter or digit, at most 63 bytes,
 * not a reserved name. Quotes, semicolons, spaces, upper case and unicode look-alikes are refused.
 */
export function assertTenantId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0) throw new InvalidIdentifierError('tenant id', String(id), 'it is empty or not a string');
  const bytes = Buffer.byteLength(id, 'utf8');
  if (bytes > MAX_IDENTIFIER_BYTES) throw new InvalidIdentifierError('tenant id', id, `it is ${bytes} bytes long, at most ${MAX_IDENTIFIER_BYTES} fit a PostgreSQL name`);
  if (!TENANT_ID.test(id)) {
    const bad = [...id].find((ch) => !/[a-z0-9_]/.test(ch));
    const why = bad !== undefined ? `it contains ${JSON.stringify(bad)} (U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})` : 'it starts with "_"';
    throw new InvalidIdentifierError('tenant id', id, why);
  }
  if (RESERVED_IDS.has(id) || id.startsWith('pg_')) throw new InvalidIdentifierError('tenant id', id, 'it is a reserved PostgreSQL name');
  return id;
}

/** The schema or database name for a tenant, from a `..{id}..` template; validated too. */
export function tenantObjectName(kind: 'tenant schema' | 'tenant database', template: string, id: string): string {
  return assertSafeIdentifier(kind, template.replace('{id}', assertTenantId(id)));
}
