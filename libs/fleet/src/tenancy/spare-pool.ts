/**
 * The pool of spare tenant schemas (`tenants.pool: { size }`, schema strategy): schemas migrated
 * to head with no tenant in them, so that onboarding renames one instead of running the whole
 * tenant track. This file holds the SQL of the pool: its names, its table, and the take.
 *
 * - Names: `fleet_spare$<hex>`. A tenant's schema is its template with an id of a-z, 0-9 and "_"
 *   around fixed parts of the same characters (config/fleet-config.ts, tenants/tenant-id.ts), so no
 *   tenant schema, and no orphan, can ever contain "$": a spare name is never a tenant's.
 * - The table `fleet_spares` in the database's global schema: one row per spare, `ready` once it
 *   reached head. The row is written before the schema exists, so a filler that dies leaves a row
 *   that the next `migrate` finishes, never an unknown schema.
 * - The take, in one transaction on the home database: the tenant's lock, a ready row locked with
 *   FOR UPDATE SKIP LOCKED (two takes never get the same spare), the spare's own lock (a migrate
 *   working on it is skipped), its history checked against the code, `ALTER SCHEMA ... RENAME`,
 *   the registry row; anything wrong rolls all of it back and onboarding takes the full track.
 */
import { randomBytes } from 'node:crypto';
import type { SqlSession } from '../db/session';
import { qualify, quoteIdent } from '../identifiers';
import { LockKey, targetLockKey } from '../locking/target-lock';
import type { MigrationDefinition, TargetInfo } from '../migration/migration';
import type { SpareHistoryRow, SpareKind, SpareSessions, SpareTakeNames } from './spare-kinds';

export const SPARE_TABLE = 'fleet_spares';
export const SPARE_PREFIX = 'fleet_spare$';

/** A fresh spare name (never a tenant's: it contains "$"). */
export function newSpareName(): string {
  return `${SPARE_PREFIX}${randomBytes(6).toString('hex')}`;
}

export function isSpareName(name: string): boolean {
  return name.startsWith(SPARE_PREFIX) && /^[0-9a-f]{12}$/.test(name.slice(SPARE_PREFIX.length));
}

export interface SpareRow {
  name: string;
  ready: boolean;
}

/** The pool's rows (none when its table does not exist yet). */
export async function readSpareRows(session: SqlSession, globalSchema: string): Promise<SpareRow[]> {
  const [t] = await session.query<{ exists: boolean }>('SELECT pg_catalog.to_regclass($1) IS NOT NULL AS exists', [qualify(globalSchema, SPARE_TABLE)]);
  if (!t.exists) return [];
  return session.query<SpareRow>(`SELECT name, ready FROM ${qualify(globalSchema, SPARE_TABLE)} ORDER BY created_at, name`);
}

async function ensureSpareTable(session: SqlSession, globalSchema: string): Promise<void> {
  try {
    await session.query(
      `CREATE TABLE IF NOT EXISTS ${qualify(globalSchema, SPARE_TABLE)} (name text PRIMARY KEY, ready boolean NOT NULL DEFAULT false, created_at timestamptz NOT NULL DEFAULT now())`,
    );
  } catch (err) {
    // Two fillers creating it at once: IF NOT EXISTS is not atomic (the loser sees the type or the table already there).
    if (!['23505', '42P07', '42710'].includes((err as { code?: string }).code ?? '')) throw err;
  }
}

/** The lock that serialises deciding how many spares to add (not the filling itself). */
function poolLockKey(database: string, globalSchema: string): LockKey {
  return targetLockKey(database, globalSchema, `${SPARE_TABLE}\u0000pool`);
}

/**
 * Reserves rows for the spares the pool lacks (at most `size` in all, ready or not) and returns
 * their names; the caller creates and migrates them. `size` 0 reserves nothing.
 */
export async function reserveSpares(session: SqlSession, database: string, globalSchema: string, size: number): Promise<string[]> {
  if (size <= 0) return [];
  await ensureSpareTable(session, globalSchema);
  const key = poolLockKey(database, globalSchema);
  await session.query('BEGIN');
  try {
    await session.query('SELECT pg_catalog.pg_advisory_xact_lock($1::int4, $2::int4)', [key.classId, key.objectId]);
    const [{ n }] = await session.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${qualify(globalSchema, SPARE_TABLE)}`);
    const names = Array.from({ length: Math.max(0, size - n) }, () => newSpareName());
    if (names.length) await session.query(`INSERT INTO ${qualify(globalSchema, SPARE_TABLE)} (name) SELECT unnest($1::text[])`, [names]);
    await session.query('COMMIT');
    return names;
  } catch (err) {
    await session.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

export async function markReady(session: SqlSession, globalSchema: string, names: string[]): Promise<void> {
  if (names.length) await session.query(`UPDATE ${qualify(globalSchema, SPARE_TABLE)} SET ready = true WHERE name = ANY($1::text[])`, [names]);
}

/**
 * Drops a spare and its row, only while its row exists (locked until the drop is done): a spare
 * that a take renamed meanwhile is a tenant now and is never touched. The strategy drops it (a
 * schema in this transaction; a database on the maintenance database, which cannot be in a
 * transaction block, while this one holds the row). Returns whether it dropped anything.
 */
export async function discardSpare(session: SqlSession, kind: SpareKind, sessions: SpareSessions, globalSchema: string, name: string, versionTable: string): Promise<boolean> {
  if (!isSpareName(name)) return false;
  await session.query('BEGIN');
  try {
    const rows = await session.query(`SELECT name FROM ${qualify(globalSchema, SPARE_TABLE)} WHERE name = $1 FOR UPDATE`, [name]);
    if (rows.length) {
      await kind.drop(session, sessions, { spare: name, versionTable, globalSchema });
      await session.query(`DELETE FROM ${qualify(globalSchema, SPARE_TABLE)} WHERE name = $1`, [name]);
    }
    await session.query('COMMIT');
    return rows.length > 0;
  } catch (err) {
    await session.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

export interface TakeRequest {
  /** What a spare is for this strategy (a schema, or a database), and the sessions it may need. */
  kind: SpareKind;
  sessions: SpareSessions;
  globalSchema: string;
  versionTable: string;
  /** Where the spare's (and the tenant's) fleet index row lives. */
  indexSchema: string;
  /** The global track's migrations: it must be at head (else the full track runs it first). */
  global: { schema: string; versionTable: string; migrations: readonly MigrationDefinition[] };
  /** The tenant's place: its schema (schema strategy) or its database (database strategy). */
  place: string;
  /** The tenant's schema: its version table's (the place itself, or `public` in a tenant database). */
  tenantSchema: string;
  /** The tenant track, and what its conditional migrations see for this tenant. */
  migrations: readonly MigrationDefinition[];
  info: TargetInfo;
  registry: { schema: string; table: string; idColumn: string };
  id: string;
  attributes: Record<string, string | number | boolean | null>;
}

export type TakeOutcome = { taken: string; applied: string[] } | { fallback: string };

/** Takes a ready spare at head for the tenant, or says why onboarding must take the full track. */
export async function takeSpare(session: SqlSession, req: TakeRequest): Promise<TakeOutcome> {
  const pool = qualify(req.globalSchema, SPARE_TABLE);
  // The tenant's lock, on the home database: two takes (or a take and a full track's registry insert) for one id are serialised.
  const tenantKey = targetLockKey(req.sessions.database, req.place, req.versionTable);
  const globalTable = qualify(req.global.schema, req.global.versionTable);
  const [pre] = await session.query<{ has_pool: boolean; has_global: boolean }>(
    'SELECT pg_catalog.to_regclass($1) IS NOT NULL AS has_pool, pg_catalog.to_regclass($2) IS NOT NULL AS has_global',
    [pool, globalTable],
  );
  if (!pre.has_pool) return { fallback: 'the pool is empty (no spare was made yet)' };
  const recorded = pre.has_global ? new Set((await session.query<{ name: string }>(`SELECT name FROM ${globalTable} WHERE status <> 'started'`)).map((r) => r.name)) : new Set();
  const behind = req.global.migrations.find((m) => !recorded.has(m.name));
  if (behind) return { fallback: `the global track is not at head (${behind.name} is pending)` };
  const decisions = await tenantDecisions(req.migrations, req.info).catch(() => null);
  if (!decisions) return { fallback: "a conditional migration's appliesTo() threw for this tenant" };
  await session.query('BEGIN');
  let outcome: TakeOutcome = { fallback: 'the pool is empty' };
  let reasons: Array<[string, string]> = [];
  try {
    await session.query('SELECT pg_catalog.pg_advisory_xact_lock($1::int4, $2::int4)', [tenantKey.classId, tenantKey.objectId]);
    if (await req.kind.placeExists(session, req.place)) outcome = { fallback: `${req.kind.noun} ${req.place} exists already` };
    else ({ outcome, reasons } = await takeLocked(session, req, pool, decisions));
    if (!('taken' in outcome)) {
      await session.query('ROLLBACK');
      return outcome;
    }
    await session.query('COMMIT');
  } catch (err) {
    await session.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  // Cosmetic, and only where it cannot be in the take's transaction (a tenant database's own rows): a failure leaves the spare's words.
  await req.kind.writeReasons(session, req.sessions, names(req, outcome.taken), reasons, 'afterCommit').catch(() => undefined);
  return outcome;
}

function names(req: TakeRequest, spare: string): SpareTakeNames {
  return { spare, place: req.place, tenantSchema: req.tenantSchema, versionTable: req.versionTable, globalSchema: req.globalSchema, indexSchema: req.indexSchema };
}

/** For each conditional migration: null when it applies to this tenant, else the reason it does not. */
async function tenantDecisions(migrations: readonly MigrationDefinition[], info: TargetInfo): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  for (const m of migrations) {
    if (typeof m.instance.appliesTo !== 'function') {
      out.set(m.name, null);
      continue;
    }
    const verdict = await m.instance.appliesTo(info);
    out.set(m.name, verdict === true ? null : typeof verdict === 'string' && verdict ? verdict : 'appliesTo() returned false for this target');
  }
  return out;
}

async function takeLocked(
  session: SqlSession,
  req: TakeRequest,
  pool: string,
  decisions: Map<string, string | null>,
): Promise<{ outcome: TakeOutcome; reasons: Array<[string, string]> }> {
  const tried: string[] = [];
  let why = 'the pool is empty';
  // One row at a time: a row locked here and not taken is one a concurrent take cannot have.
  for (let attempt = 0; attempt < 3; attempt++) {
    const [candidate] = await session.query<{ name: string }>(
      `SELECT name FROM ${pool} WHERE ready AND name <> ALL($1::text[]) ORDER BY created_at, name FOR UPDATE SKIP LOCKED LIMIT 1`,
      [tried],
    );
    if (!candidate) break;
    const n = names(req, candidate.name);
    tried.push(n.spare);
    why = 'every free spare is busy or behind the code (the next migrate brings it to head)';
    const history = await req.kind.readHistory(session, req.sessions, n);
    if (history === 'busy' || history === null) continue; // a migrate (or a session) is working on it, or it is not made yet
    if (!atHead(req.migrations, history)) continue;
    // The spare ran each conditional migration as a tenant without attributes would: the tenant must decide the same.
    const differs = history.find((h) => (h.status === 'applied') !== (decisions.get(h.name) === null));
    if (differs) {
      why = `${differs.name} ${differs.status === 'applied' ? 'does not apply' : 'applies'} to this tenant but ${differs.status === 'applied' ? 'ran on' : 'was skipped by'} the spares`;
      break;
    }
    // A spare in use now is skipped, not fatal: the savepoint undoes the failed rename and keeps the row locks.
    await session.query('SAVEPOINT fleet_take');
    const renamed = await req.kind.rename(session, n);
    if (renamed !== 'renamed') {
      await session.query('ROLLBACK TO SAVEPOINT fleet_take');
      if (renamed === 'exists') return { outcome: { fallback: `${req.kind.noun} ${n.place} exists already` }, reasons: [] };
      continue;
    }
    // A skipped row says why, in this tenant's words (whenTenant names the attribute's value).
    const reasons = history.filter((h) => h.status === 'skipped').map((h): [string, string] => [h.name, decisions.get(h.name) ?? '']);
    await req.kind.writeReasons(session, req.sessions, n, reasons, 'inTake');
    await session.query(`DELETE FROM ${pool} WHERE name = $1`, [n.spare]);
    const columns = [req.registry.idColumn, ...Object.keys(req.attributes)];
    const values = [req.id, ...Object.values(req.attributes).map((v) => (v === null ? null : String(v)))];
    const inserted = await session.query(
      `INSERT INTO ${qualify(req.registry.schema, req.registry.table)} (${columns.map(quoteIdent).join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})
       ON CONFLICT (${quoteIdent(req.registry.idColumn)}) DO NOTHING RETURNING 1`,
      values,
    );
    if (inserted.length === 0) return { outcome: { fallback: `tenant ${req.id} is registered already` }, reasons: [] };
    return { outcome: { taken: n.spare, applied: history.filter((h) => h.status === 'applied').map((h) => h.name) }, reasons };
  }
  return { outcome: { fallback: why }, reasons: [] };
}

/** Every migration of the code recorded (applied or skipped) with its checksum, nothing else, nothing started. */
function atHead(migrations: readonly MigrationDefinition[], history: readonly SpareHistoryRow[]): boolean {
  if (history.length !== migrations.length) return false;
  const byName = new Map(history.map((h) => [h.name, h]));
  return migrations.every((m) => {
    const h = byName.get(m.name);
    return !!h && h.status !== 'started' && (h.checksum === null || h.checksum === m.checksum);
  });
}
