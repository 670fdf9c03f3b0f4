/**
 * Why health-aware pacing holds targets back (db/health.ts judges, executor/health-gate.ts waits):
 * the reasons as data, and their one-line text. Pure: loaded by the reporters without the engine.
 */

export interface SessionFacts {
  pid: number;
  database: string | null;
  applicationName: string;
  state: string | null;
  /** Blocked sessions: how long the blocked statement has waited; long transactions: the transaction's age. */
  ms: number;
  /** Blocked sessions: Fleet's backends it waits for. */
  blockedBy?: number[];
}

/** Why a server (or one database of it) is held back: the check, the figures and the limit. */
export type HealthReason =
  | { check: 'replication-lag'; replica: string; lagMs: number | null; lagBytes: number | null; maxLagMs: number | false; maxLagBytes: number | false }
  | { check: 'blocked-sessions'; sessions: number; max: number; oldest: SessionFacts }
  | { check: 'long-transaction'; database: string; transactions: number; maxAgeMs: number; oldest: SessionFacts };

/** One line for a reason (progress, report): the figure, the limit, and what it stands for. */
export function describeHealthReason(reason: HealthReason): string {
  switch (reason.check) {
    case 'replication-lag': {
      const figures = [reason.lagBytes !== null ? `${bytes(reason.lagBytes)} of WAL` : null, reason.lagMs !== null ? seconds(reason.lagMs) : null].filter(Boolean).join(', ');
      const limits = [reason.maxLagBytes !== false ? bytes(reason.maxLagBytes) : null, reason.maxLagMs !== false ? seconds(reason.maxLagMs) : null].filter(Boolean).join(' / ');
      return `replication lag: standby ${reason.replica} is ${figures || 'an unknown amount'} behind (limit ${limits})`;
    }
    case 'blocked-sessions': {
      const o = reason.oldest;
      return (
        `${reason.sessions} application session(s) blocked behind Fleet's (limit ${reason.max}); the oldest, pid ${o.pid} ("${o.applicationName}" on ${o.database ?? '?'}), ` +
        `has waited ${seconds(o.ms)} for Fleet's pid ${(o.blockedBy ?? []).join(', ')}`
      );
    }
    case 'long-transaction': {
      const o = reason.oldest;
      return (
        `${reason.transactions} transaction(s) open longer than ${seconds(reason.maxAgeMs)} in database ${reason.database}; the oldest, pid ${o.pid} ("${o.applicationName}", ${o.state ?? 'unknown state'}), ` +
        `for ${seconds(o.ms)} (CREATE INDEX CONCURRENTLY would wait for it, and locks it holds stall migrations)`
      );
    }
  }
}

function bytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
