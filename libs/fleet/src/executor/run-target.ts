import { hostname } from 'node:os';
import type { DatabasePool } from '../db/database-pool';
import type { TargetSession } from '../db/session';
import type { EventListener } from '../events';
import { qualify, quoteIdent } from '../identifiers';
import { targetLockKey, withTargetLock } from '../locking/target-lock';
import { ensureFleetIndex, INDEX_TABLE } from '../storage/fleet-index';
import { PostgresVersionStore, readTypeormHistory, tableExists } from '../storage/postgres-version-store';
import { TypeormMirroredStore } from '../storage/typeorm-mirror';
import type { VersionStore } from '../storage/version-store';
import { searchPathOf, Target } from '../targets/target';
import { ExecuteContext, executeOnTarget, TargetCommand } from './execute-plan';
import { explainUndefinedFunction } from '../extensions/extensions';
import { FleetError } from '../errors';
import { emptyResult } from './result';
import { QueryRunnerMigrationRunner, SqlListener } from './migration-runner';
import { discoveryIdType, idMatches } from './registration-id';
import type { TargetResult } from './result';

export const APPLIED_BY = `${hostname()}:${process.pid}`;

/** How often the server checks, during a statement, that Fleet is still connected. */
const CLIENT_CHECK_MS = 1000;

/**
 * Runs one command on one target over a pooled connection: scopes search_path and timeouts to
 * the session, takes the target's advisory lock, then hands over to the executor. The migrations
 * get a QueryRunner bound to the target's schema: TypeORM's Table API resolves bare names there.
 */
export interface RunTargetHooks {
  /** Receives every SQL text the migrations send (scratch runs). */
  onSql?: SqlListener;
  /** The run's interruption (Ctrl-C, SIGTERM). */
  signal?: AbortSignal;
  /** Told the session serving the target while it works (an interruption cancels its statement, the watchdog watches it). */
  onSession?: (session: TargetSession) => void;
  /** Which attempt on the target this is, and what earlier ones left to resume (run-fleet.ts). */
  attempt?: number;
  resume?: ExecuteContext['resume'];
}

export async function runTargetOnPostgres(pool: DatabasePool, target: Target, command: TargetCommand, emit: EventListener, hooks: RunTargetHooks = {}): Promise<TargetResult> {
  return pool.withSession(async (session) => {
    hooks.onSession?.(session);
    const { schema } = target.info;
    // Unqualified names in migrations land in the target's schema; RESET ALL undoes all of this
    // when the connection goes back to the pool. One round trip for every setting.
    const targetPath = searchPathOf(target).map(quoteIdent).join(', ');
    // A tenant that must still be registered (see stillRegistered) starts in the global schema,
    // where the discovery query's names resolve; the target's path follows in the same statement.
    const checkRegistration = command.kind === 'migrate' && !!target.registration;
    const settings: Array<[string, string]> = [['search_path', checkRegistration ? quoteIdent(target.registration!.globalSchema) : targetPath]];
    // The tenant's id, for a registration re-check sent without parameters (registrationGuard).
    if (checkRegistration) settings.push([REGISTRATION_ID, target.info.tenant!]);
    if (target.settings.lockTimeoutMs > 0) settings.push(['lock_timeout', `${target.settings.lockTimeoutMs}ms`]);
    if (target.settings.statementTimeoutMs > 0) settings.push(['statement_timeout', `${target.settings.statementTimeoutMs}ms`]);
    if (target.settings.idleInTransactionTimeoutMs > 0) settings.push(['idle_in_transaction_session_timeout', `${target.settings.idleInTransactionTimeoutMs}ms`]);
    const key = targetLockKey(target.connection.database, schema, target.versionTable);
    const params: unknown[] = settings.flat();
    // One round trip: session settings, the first try for the lock, and whether a history exists.
    // If Fleet dies (SIGKILL, a crash), the server notices the closed socket within a second and ends
    // the statement instead of running it to its end (PostgreSQL 14+; older servers lack the setting,
    // hence the version test: asking pg_settings for it cost ~1 ms of server time per target).
    const indexSchema = target.indexSchema ?? null;
    const [prep] = await session.query<{ locked: boolean; has_table: boolean; has_legacy: boolean; legacy_is_typeorm: boolean | null; has_index: boolean }>(
      `SELECT ${settings.map((_, i) => `pg_catalog.set_config($${i * 2 + 1}, $${i * 2 + 2}, false)`).join(', ')},
              CASE WHEN pg_catalog.current_setting('server_version_num')::int >= 140000 THEN pg_catalog.set_config('client_connection_check_interval', '${CLIENT_CHECK_MS}ms', false) END AS client_check,
              pg_catalog.pg_try_advisory_lock($${params.length + 1}::int4, $${params.length + 2}::int4) AS locked,
              pg_catalog.to_regclass($${params.length + 3}) IS NOT NULL AS has_table,
              pg_catalog.to_regclass($${params.length + 4}) IS NOT NULL AS has_legacy,
              (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_catalog.pg_attribute a
                WHERE a.attrelid = pg_catalog.to_regclass($${params.length + 4}) AND a.attnum > 0 AND NOT a.attisdropped) = ARRAY['id', 'name', 'timestamp'] AS legacy_is_typeorm,
              pg_catalog.to_regclass($${params.length + 5}) IS NOT NULL AS has_index`,
      [
        ...params,
        key.classId,
        key.objectId,
        qualify(schema, target.versionTable),
        qualify(schema, target.adoptTypeormTable ?? target.versionTable),
        qualify(indexSchema ?? schema, INDEX_TABLE),
      ],
    );
    // The fleet index is created outside any target's transaction (once per database): every
    // version change then writes its row in the same statement (storage/fleet-index.ts).
    if (indexSchema !== null && !prep.has_index) await ensureFleetIndex(session, indexSchema);
    // TypeORM's history is looked for only where its table exists (or might, after a lock wait).
    const adopt = target.adoptTypeormTable && (prep.has_legacy || !prep.locked) ? target.adoptTypeormTable : null;
    // Where TypeORM's table exists (its own columns, exactly), every change of Fleet's history is written there too (storage/typeorm-mirror.ts).
    const mirrorTypeorm = (store: VersionStore): VersionStore =>
      target.adoptTypeormTable && prep.has_legacy && prep.legacy_is_typeorm ? new TypeormMirroredStore(store, session, schema, target.adoptTypeormTable) : store;
    return withTargetLock(
      session,
      key,
      {
        waitMs: target.settings.lockWaitMs,
        target: target.id,
        acquired: prep.locked,
        signal: hooks.signal,
        unlockWithSession: true,
        onWait: (holder) => emit({ type: 'lock-wait', target: target.id, holder }),
      },
      async () => {
        const hasTable = prep.locked ? prep.has_table : undefined;
        // A new tenant's re-check rides on the round trip that creates its version table (execute-plan.ts).
        // The registry's id type, asked once per database and run (registration-id.ts), only where a re-check is due.
        const idType = () => discoveryIdType(pool, session, target.registration!.sql);
        const guard = checkRegistration && hasTable === false && !adopt ? registrationGuard(session, target, targetPath, await idType()) : undefined;
        if (checkRegistration && !guard && !(await stillRegistered(session, target, targetPath, hasTable ?? (await tableExists(session, schema, target.versionTable)), idType))) {
          return tenantDropped(target);
        }
        const result = await executeOnTarget(
          {
            target,
            // After waiting for the lock, another runner may have created the table: look again.
            store: mirrorTypeorm(new PostgresVersionStore(session, schema, target.versionTable, APPLIED_BY, prep.locked ? prep.has_table : undefined, indexSchema)),
            runner: new QueryRunnerMigrationRunner(session.queryRunner, hooks.onSql, hooks.signal, session),
            signal: hooks.signal,
            session,
            attempt: hooks.attempt,
            resume: hooks.resume,
            emit,
            readLegacyHistory: adopt ? () => readTypeormHistory(session, schema, adopt) : undefined,
            guard,
          },
          command,
        );
        if (result.failed?.error.code === TENANT_DROPPED) return tenantDropped(target);
        // `function uuid_generate_v4() does not exist`: say which extension has it, where, and the fix.
        if (result.failed?.error.sqlState === '42883') {
          // The guard's switch to the target's path was rolled back with the failed transaction.
          if (guard) await session.query(`SELECT pg_catalog.set_config('search_path', $1, false)`, [targetPath]);
          await explainUndefinedFunction(session, result.failed.error, { configKey: target.info.database, fix: target.extensions?.fix });
        }
        return result;
      },
    );
  }, target.info.schema);
}

const TENANT_DROPPED = 'TENANT_DROPPED';
/** A custom setting of the target's session (RESET ALL clears it with the rest). */
const REGISTRATION_ID = 'fleet.registration_id';

function tenantDropped(target: Target): TargetResult {
  const result = emptyResult(target);
  result.failed = {
    migration: null,
    error: { code: TENANT_DROPPED, message: `tenant ${target.info.tenant} is no longer registered (dropped while this run was going): nothing was created for it` },
  };
  return result;
}

/**
 * stillRegistered for a tenant without a version table, as statements without parameters that
 * ride on the round trip opening its first transaction (with the version table's creation): the
 * tenant's id is a setting of the session (set with parameters by the first statement), the
 * registry is asked while the search_path is still the global schema's, then the target's path
 * is set. A tenant no longer registered is refused before its transaction goes on: whatever the
 * statements created is rolled back with it.
 */
function registrationGuard(session: TargetSession, target: Target, targetPath: string, idType: string | null): ExecuteContext['guard'] {
  const { sql } = target.registration!;
  return {
    statements: [
      `SELECT EXISTS (SELECT 1 FROM (${sql}) AS fleet_discovery WHERE ${idMatches(idType, `pg_catalog.current_setting('${REGISTRATION_ID}')`)}) AS registered`,
      `SET search_path TO ${targetPath}`,
    ],
    check: (rows) => {
      if ((rows[0] as Array<{ registered: boolean }>)[0]?.registered !== true) throw new FleetError(TENANT_DROPPED, `tenant ${target.info.tenant} is no longer registered`);
    },
    alone: async () => {
      if (!(await stillRegistered(session, target, targetPath, false, async () => idType)))
        throw new FleetError(TENANT_DROPPED, `tenant ${target.info.tenant} is no longer registered`);
    },
  };
}

/**
 * A tenant that existed when the run started, and whose version table does not exist yet, is
 * looked up in the registry again under its lock: a `tenant drop` that won the race must not see
 * its schema re-created. The session's search_path is the global schema's (the discovery query
 * names its tables relative to it); one statement asks and switches to the target's path: the
 * query's names are resolved when it is parsed, before set_config runs. A tenant whose version
 * table exists needs only the switch.
 */
async function stillRegistered(session: TargetSession, target: Target, targetPath: string, hasTable: boolean, idType: () => Promise<string | null>): Promise<boolean> {
  if (hasTable) {
    await session.query(`SELECT pg_catalog.set_config('search_path', $1, false)`, [targetPath]);
    return true;
  }
  const { sql } = target.registration!;
  const id = target.info.tenant!;
  const rows = await session.query<{ registered: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM (${sql}) AS fleet_discovery WHERE ${idMatches(await idType(), '$1')}) AS registered, pg_catalog.set_config('search_path', $2, false)`,
    [id, targetPath],
  );
  return rows[0].registered;
}
