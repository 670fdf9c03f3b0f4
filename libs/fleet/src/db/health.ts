/**
 * How healthy a server is, as a migration fan-out should see it: one cheap read of the server's
 * statistics views (a sample), and limits that turn a sample into reasons to hold new targets back.
 * - Replication lag, seen from the primary (pg_stat_replication): bytes of WAL each standby has not
 *   replayed yet, and its replay_lag while it is behind at all (the view keeps showing the last
 *   replay_lag for a while after a standby caught up: 0 bytes behind means no lag).
 * - Application sessions blocked behind Fleet's: sessions that are not Fleet's, waiting on a lock
 *   that one of Fleet's sessions holds (pg_blocking_pids), in the target's database.
 * - Long transactions: a transaction open longer than a limit, not Fleet's, in the target's
 *   database (CREATE INDEX CONCURRENTLY waits for every older transaction of its database).
 * Fleet's sessions are told apart by application_name: `fleet:...`, or the run's own name.
 * This module reads and judges; the run's gate (executor/health-gate.ts) decides when to wait.
 */
import type { HealthLimits } from '../config/health-limits';
import type { HealthReason, SessionFacts } from '../health/reasons';
import type { SqlSession } from './session';

export { DEFAULT_HEALTH_LIMITS, resolveHealthLimits } from '../config/health-limits';
export type { HealthLimits } from '../config/health-limits';
export { describeHealthReason } from '../health/reasons';
export type { HealthReason, SessionFacts } from '../health/reasons';

export interface ReplicaState {
  /** The standby's application_name (its cluster_name or `walreceiver`) and address. */
  name: string;
  state: string | null;
  lagMs: number | null;
  /** Null when the role may not see the standby's positions. */
  lagBytes: number | null;
}

export interface HealthSample {
  /** When it was read (Date.now()). */
  at: number;
  role: string;
  /** The role sees every session and the standbys' positions (superuser, pg_monitor or pg_read_all_stats). */
  privileged: boolean;
  replicas: ReplicaState[];
  blocked: SessionFacts[];
  /** Transactions older than maxTransactionAgeMs, oldest first (none when the check is off). */
  longTransactions: SessionFacts[];
}

/**
 * One statement, read-only, on any session of the server: the standbys, the application sessions
 * queued behind Fleet's, and the transactions older than the limit. `ownName`: the run's
 * application_name (Fleet's sessions also start with `fleet:`).
 */
export async function sampleHealth(session: SqlSession, ownName: string, limits: HealthLimits): Promise<HealthSample> {
  const at = Date.now();
  const [row] = await session.query<{ role: string; privileged: boolean; replicas: ReplicaState[]; blocked: SessionFacts[]; long_transactions: SessionFacts[] }>(
    `WITH fleet AS MATERIALIZED (
       SELECT pid FROM pg_catalog.pg_stat_activity
        WHERE application_name LIKE 'fleet:%' OR (length($1::text) > 0 AND left(application_name, length($1::text)) = $1::text)),
     waiting AS MATERIALIZED (
       SELECT a.pid, a.datname, a.application_name, a.state, a.query_start FROM pg_catalog.pg_stat_activity a
        WHERE a.wait_event_type = 'Lock' AND a.pid NOT IN (SELECT pid FROM fleet))
     SELECT current_user::text AS role,
            pg_catalog.pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS privileged,
            (SELECT coalesce(json_agg(json_build_object(
                      'name', coalesce(nullif(r.application_name, ''), 'standby') || coalesce(' at ' || host(r.client_addr), ''),
                      'state', r.state,
                      'lagMs', extract(epoch FROM r.replay_lag) * 1000,
                      'lagBytes', CASE WHEN r.replay_lsn IS NULL OR pg_catalog.pg_is_in_recovery() THEN NULL
                                       ELSE pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), r.replay_lsn) END)), '[]')
               FROM pg_catalog.pg_stat_replication r) AS replicas,
            (SELECT coalesce(json_agg(json_build_object('pid', w.pid, 'database', w.datname, 'applicationName', w.application_name, 'state', w.state,
                                                        'ms', extract(epoch FROM now() - w.query_start) * 1000, 'blockedBy', b.pids) ORDER BY w.query_start), '[]')
               FROM waiting w
               CROSS JOIN LATERAL (SELECT array_agg(x) AS pids FROM unnest(pg_catalog.pg_blocking_pids(w.pid)) AS x WHERE x IN (SELECT pid FROM fleet)) b
              WHERE b.pids IS NOT NULL) AS blocked,
            (SELECT coalesce(json_agg(json_build_object('pid', a.pid, 'database', a.datname, 'applicationName', a.application_name, 'state', a.state,
                                                        'ms', extract(epoch FROM now() - a.xact_start) * 1000) ORDER BY a.xact_start), '[]')
               FROM pg_catalog.pg_stat_activity a
              WHERE a.xact_start < now() - $2::float8 * interval '1 millisecond' AND a.backend_type = 'client backend'
                AND a.pid <> pg_catalog.pg_backend_pid() AND a.pid NOT IN (SELECT pid FROM fleet)) AS long_transactions`,
    [ownName, limits.maxTransactionAgeMs === false ? null : limits.maxTransactionAgeMs],
  );
  return { at, role: row.role, privileged: row.privileged, replicas: row.replicas, blocked: row.blocked, longTransactions: row.long_transactions };
}

/** What holds back targets of `database`: reasons that concern the whole server (replication lag), and those of this database alone (blocked sessions, long transactions). */
export function judgeHealth(sample: HealthSample, limits: HealthLimits, database: string): { server: HealthReason[]; database: HealthReason[] } {
  const server: HealthReason[] = [];
  for (const r of sample.replicas) {
    // Caught up (0 bytes behind): the replay_lag the view still shows is history.
    const behind = r.lagBytes === null ? r.lagMs !== null : r.lagBytes > 0;
    const overBytes = limits.maxReplicationLagBytes !== false && r.lagBytes !== null && r.lagBytes > limits.maxReplicationLagBytes;
    const overTime = limits.maxReplicationLagMs !== false && behind && r.lagMs !== null && r.lagMs > limits.maxReplicationLagMs;
    if (overBytes || overTime) {
      server.push({
        check: 'replication-lag',
        replica: r.name,
        lagMs: r.lagMs,
        lagBytes: r.lagBytes,
        maxLagMs: limits.maxReplicationLagMs,
        maxLagBytes: limits.maxReplicationLagBytes,
      });
    }
  }
  // Locks are taken per database: a new target adds to the queues of its own database only.
  const own: HealthReason[] = [];
  const blocked = sample.blocked.filter((b) => b.database === database);
  if (limits.maxBlockedSessions !== false && blocked.length > limits.maxBlockedSessions) {
    own.push({ check: 'blocked-sessions', sessions: blocked.length, max: limits.maxBlockedSessions, oldest: blocked[0] });
  }
  const old = limits.maxTransactionAgeMs === false ? [] : sample.longTransactions.filter((t) => t.database === database);
  if (old.length) own.push({ check: 'long-transaction', database, transactions: old.length, maxAgeMs: limits.maxTransactionAgeMs as number, oldest: old[0] });
  return { server, database: own };
}
