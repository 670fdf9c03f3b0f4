import { InvalidIdentifierError } from './errors';

/** PostgreSQL truncates identifiers longer than NAMEDATALEN - 1 bytes. */
export const MAX_IDENTIFIER_BYTES = 63;

const SAFE_IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const RESERVED = new Set(['public', 'information_schema']);

/**
 * Quotes an SQL identifier. Every schema, table and database name Fleet puts into SQL goes
 * through here; values always travel as bind parameters.
 */
export function quoteIdent(name: string): string {
  if (name.includes('\u0000')) throw new InvalidIdentifierError('identifier', name, 'contains a NUL byte');
  return `"${name.replace(/"/g, '""')}"`;
}

/** `"schema"."table"`. */
export function qualify(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/**
 * Validates a name that Fleet will create from user input (a tenant id, a tenant schema or
 * database). Stricter than PostgreSQL on purpose: a plain lower-case ASCII identifier can never
 * be confused with another one (no case folding, no unicode look-alikes, no quoting games).
 */
export function assertSafeIdentifier(kind: string, value: unknown, opts: { allowReserved?: boolean } = {}): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidIdentifierError(kind, String(value), 'it is empty or not a string');
  }
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_IDENTIFIER_BYTES) {
    throw new InvalidIdentifierError(kind, value, `it is ${bytes} bytes long, PostgreSQL keeps only ${MAX_IDENTIFIER_BYTES}`);
  }
  if (!SAFE_IDENTIFIER.test(value)) {
    throw new InvalidIdentifierError(kind, value, 'it contains characters outside a-z, 0-9 and "_" (or starts with a digit)');
  }
  if (value.startsWith('pg_')) {
    throw new InvalidIdentifierError(kind, value, 'names starting with "pg_" are reserved for PostgreSQL');
  }
  if (!opts.allowReserved && RESERVED.has(value)) {
    throw new InvalidIdentifierError(kind, value, 'it is a reserved schema name');
  }
  return value;
}

/**
 * Validates a name from the (trusted) config file: schema, version table. These may be
 * `public` and may use upper case, but must still fit PostgreSQL's identifier length.
 */
export function assertConfigIdentifier(kind: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidIdentifierError(kind, String(value), 'it is empty or not a string');
  }
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_IDENTIFIER_BYTES) {
    throw new InvalidIdentifierError(kind, value, `it is ${bytes} bytes long, PostgreSQL keeps only ${MAX_IDENTIFIER_BYTES}`);
  }
  if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(value)) {
    throw new InvalidIdentifierError(kind, value, 'it contains characters outside letters, digits, "_" and "$"');
  }
  return value;
}
