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
import { INDEX_TABLE, removeFromIndex } from '../storage/fleet-index';
import type { MigrationDefinition, TargetInfo } from '../migration/migration';

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
 * Drops a spare and its row, only while its row exists (locked): a spare that a take renamed
 * meanwhile is a tenant now and is never touched. Returns whether it dropped anything.
 */
export async function discardSpare(session: SqlSession, globalSchema: string, name: string, versionTable: string): Promise<boolean> {
  if (!isSpareName(name)) return false;
  await session.query('BEGIN');
  try {
    const rows = await session.query(`DELETE FROM ${qualify(globalSchema, SPARE_TABLE)} WHERE name = $1 RETURNING name`, [name]);
    if (rows.length) {
      await session.query(`DROP SCHEMA IF EXISTS ${quoteIdent(name)} CASCADE`);
      await removeFromIndex(session, globalSchema, name, versionTable);
    }
    await session.query('COMMIT');
    return rows.length > 0;
  } catch (err) {
    await session.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

export interface TakeRequest {
  /** The home database's name (lock keys). */
  database: string;
  globalSchema: string;
  versionTable: string;
  /** Where the spare's (and the tenant's) fleet index row lives. */
  indexSchema: string;
  /** The global track's migrations: it must be at head (else the full track runs it first). */
  global: { schema: string; versionTable: string; migrations: readonly MigrationDefinition[] };
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
  const tenantKey = targetLockKey(req.database, req.tenantSchema, req.versionTable);
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
  try {
    const [lock] = await session.query<{ exists: boolean }>(
      'SELECT pg_catalog.pg_advisory_xact_lock($1::int4, $2::int4)::text AS locked, EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $3) AS exists',
      [tenantKey.classId, tenantKey.objectId, req.tenantSchema],
    );
    if (lock.exists) outcome = { fallback: `schema ${req.tenantSchema} exists already` };
    else outcome = await takeLocked(session, req, pool, decisions);
    if (!('taken' in outcome)) {
      await session.query('ROLLBACK');
      return outcome;
    }
    await session.query('COMMIT');
    return outcome;
  } catch (err) {
    await session.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
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

async function takeLocked(session: SqlSession, req: TakeRequest, pool: string, decisions: Map<string, string | null>): Promise<TakeOutcome> {
  const tried: string[] = [];
  let why = 'the pool is empty';
  // One row at a time: a row locked here and not taken is one a concurrent take cannot have.
  for (let attempt = 0; attempt < 3; attempt++) {
    const [candidate] = await session.query<{ name: string }>(
      `SELECT name FROM ${pool} WHERE ready AND name <> ALL($1::text[]) ORDER BY created_at, name FOR UPDATE SKIP LOCKED LIMIT 1`,
      [tried],
    );
    if (!candidate) break;
    const name = candidate.name;
    tried.push(name);
    why = 'every free spare is busy or behind the code (the next migrate brings it to head)';
    const key = targetLockKey(req.database, name, req.versionTable);
    const [row] = await session.query<{ locked: boolean; has_table: boolean }>(
      'SELECT pg_catalog.pg_try_advisory_xact_lock($1::int4, $2::int4) AS locked, pg_catalog.to_regclass($3) IS NOT NULL AS has_table',
      [key.classId, key.objectId, qualify(name, req.versionTable)],
    );
    if (!row.locked || !row.has_table) continue; // a migrate is working on it, or it is not made yet
    const history = await session.query<{ name: string; status: string; checksum: string | null }>(
      `SELECT name, status, checksum FROM ${qualify(name, req.versionTable)} ORDER BY seq`,
    );
    if (!atHead(req.migrations, history)) continue;
    // The spare ran each conditional migration as a tenant without attributes would: the tenant must decide the same.
    const differs = history.find((h) => (h.status === 'applied') !== (decisions.get(h.name) === null));
    if (differs) {
      why = `${differs.name} ${differs.status === 'applied' ? 'does not apply' : 'applies'} to this tenant but ${differs.status === 'applied' ? 'ran on' : 'was skipped by'} the spares`;
      break;
    }
    await session.query(`ALTER SCHEMA ${quoteIdent(name)} RENAME TO ${quoteIdent(req.tenantSchema)}`);
    // The fleet index row (storage/fleet-index.ts) follows the schema, in the same transaction.
    const index = qualify(req.indexSchema, INDEX_TABLE);
    const [idx] = await session.query<{ exists: boolean }>('SELECT pg_catalog.to_regclass($1) IS NOT NULL AS exists', [index]);
    if (idx.exists) await session.query(`UPDATE ${index} SET schema = $1 WHERE schema = $2 AND version_table = $3`, [req.tenantSchema, name, req.versionTable]);
    const skipped = history.filter((h) => h.status === 'skipped');
    // A skipped row says why, in this tenant's words (whenTenant names the attribute's value).
    if (skipped.length) {
      await session.query(
        `UPDATE ${qualify(req.tenantSchema, req.versionTable)} v SET reason = u.reason FROM unnest($1::text[], $2::text[]) AS u(name, reason) WHERE v.name = u.name`,
        [skipped.map((h) => h.name), skipped.map((h) => decisions.get(h.name))],
      );
    }
    await session.query(`DELETE FROM ${pool} WHERE name = $1`, [name]);
    const columns = [req.registry.idColumn, ...Object.keys(req.attributes)];
    const values = [req.id, ...Object.values(req.attributes).map((v) => (v === null ? null : String(v)))];
    const inserted = await session.query(
      `INSERT INTO ${qualify(req.registry.schema, req.registry.table)} (${columns.map(quoteIdent).join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})
       ON CONFLICT (${quoteIdent(req.registry.idColumn)}) DO NOTHING RETURNING 1`,
      values,
    );
    if (inserted.length === 0) return { fallback: `tenant ${req.id} is registered already` };
    return { taken: name, applied: history.filter((h) => h.status === 'applied').map((h) => h.name) };
  }
  return { fallback: why };
}

/** Every migration of the code recorded (applied or skipped) with its checksum, nothing else, nothing started. */
function atHead(migrations: readonly MigrationDefinition[], history: Array<{ name: string; status: string; checksum: string | null }>): boolean {
  if (history.length !== migrations.length) return false;
  const byName = new Map(history.map((h) => [h.name, h]));
  return migrations.every((m) => {
    const h = byName.get(m.name);
    return !!h && h.status !== 'started' && (h.checksum === null || h.checksum === m.checksum);
  });
}
