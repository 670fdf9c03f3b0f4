/**
 * Which tenants are where they should be. A registered tenant whose schema or database does not
 * exist is either new (the next migrate creates it) or missing (it existed and was dropped outside
 * Fleet: `missing`, and migrate does not silently re-create it empty). The difference is kept in a
 * small ledger in the home database's global schema, `fleet_tenants`, written after each migrate
 * for the tenants that exist. A schema or database shaped like a tenant's that discovery does not
 * know is an orphan.
 */
import type { SqlSession } from '../db/session';
import { qualify } from '../identifiers';
import { idForName } from './reserved-names';

export const LEDGER_TABLE = 'fleet_tenants';

export interface Presence {
  /** Tenant ids whose schema/database exists now. */
  present: Set<string>;
  /** Tenant ids whose schema/database does not exist although the ledger says they were migrated. */
  missing: Set<string>;
  /** Schemas/databases shaped like a tenant's (the template) that no discovered tenant owns. */
  orphans: string[];
}

/**
 * One look per database: which tenant locations exist, which tenants the ledger knows, and which
 * locations match the template without a tenant. `locations` maps each discovered id to its name.
 */
export async function readPresence(
  session: SqlSession,
  ledgerSchema: string,
  kind: 'schema' | 'database',
  template: string,
  locations: Map<string, string>,
  exclude: string[],
): Promise<Presence> {
  const [prefix, suffix] = template.split('{id}');
  const catalog = kind === 'schema' ? 'SELECT nspname AS name FROM pg_catalog.pg_namespace' : 'SELECT datname AS name FROM pg_catalog.pg_database';
  const rows = await session.query<{ name: string }>(
    `SELECT name FROM (${catalog}) c
      WHERE length(name) > $3::int AND left(name, length($1)) = $1 AND right(name, length($2)) = $2`,
    [prefix, suffix ?? '', prefix.length + (suffix ?? '').length],
  );
  const existing = new Set<string>();
  for (const r of rows) existing.add(r.name);
  // Walked, never spread into arrays of pairs: at 100,000 tenants each copy was ~10 MB of garbage.
  const present = new Set<string>();
  const absent: string[] = [];
  for (const [id, name] of locations) {
    if (existing.has(name)) present.add(id);
    else absent.push(id);
  }
  // Only names a valid tenant id gives (never public, pg_*, information_schema or postgres) and
  // that no discovered tenant owns (its id's name is another, or it has none).
  const orphans: string[] = [];
  for (const name of existing) {
    if (exclude.includes(name)) continue;
    const id = idForName(template, name);
    if (id !== null && locations.get(id) !== name) orphans.push(name);
  }
  orphans.sort();
  const missing = new Set<string>();
  if (absent.length) {
    const [ledger] = await session.query<{ exists: boolean }>('SELECT pg_catalog.to_regclass($1) IS NOT NULL AS exists', [qualify(ledgerSchema, LEDGER_TABLE)]);
    if (ledger.exists) {
      for (const r of await session.query<{ id: string }>(`SELECT id FROM ${qualify(ledgerSchema, LEDGER_TABLE)} WHERE id = ANY($1::text[])`, [absent])) missing.add(r.id);
    }
  }
  return { present, missing, orphans };
}

/** Tenants recorded per statement: 100,000 entries, their names and two array parameters at once were ~15 MB at the end of a migrate. */
const LEDGER_SLICE = 5000;

/**
 * Records tenants that exist after a migrate (idempotent; creates the ledger on first use), a
 * slice at a time: each slice's location names are made when it is sent.
 */
export async function recordInLedger(session: SqlSession, ledgerSchema: string, ids: readonly string[], locationOf: (id: string) => string): Promise<void> {
  if (ids.length === 0) return;
  const table = qualify(ledgerSchema, LEDGER_TABLE);
  try {
    await session.query(`CREATE TABLE IF NOT EXISTS ${table} (id text PRIMARY KEY, location text NOT NULL, first_seen timestamptz NOT NULL DEFAULT now())`);
  } catch (err) {
    // Two runners creating it at once: IF NOT EXISTS is not atomic (the loser sees the type or the table already there).
    if (!['23505', '42P07', '42710'].includes((err as { code?: string }).code ?? '')) throw err;
  }
  for (let i = 0; i < ids.length; i += LEDGER_SLICE) {
    const slice = ids.slice(i, i + LEDGER_SLICE);
    await session.query(`INSERT INTO ${table} (id, location) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (id) DO NOTHING`, [slice, slice.map(locationOf)]);
  }
}

/** Forgets a dropped tenant (inside the drop's transaction when there is one). */
export async function removeFromLedger(session: SqlSession, ledgerSchema: string, id: string): Promise<void> {
  const [ledger] = await session.query<{ exists: boolean }>('SELECT pg_catalog.to_regclass($1) IS NOT NULL AS exists', [qualify(ledgerSchema, LEDGER_TABLE)]);
  if (ledger.exists) await session.query(`DELETE FROM ${qualify(ledgerSchema, LEDGER_TABLE)} WHERE id = $1`, [id]);
}
