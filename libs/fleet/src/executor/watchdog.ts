/**
 * The run's heartbeat: every few seconds, for each database with a target in flight for longer
 * than the lock-notice delay, one look at pg_stat_activity on a separate short connection.
 * - A target waiting on a lock for longer than `lockNoticeMs` is named, with the pid, state and
 *   query of the session holding the lock (a migration that waits is never silent).
 * - A target whose client waits for an answer while the server shows its session idle (or gone)
 *   for longer than `stallMs` has lost its network: its connection is cut, so that the target
 *   fails with that message and the run goes on (a frozen TCP link can otherwise hang forever).
 * - When the server cannot be reached at all for `stallMs`, the targets in flight on it fail.
 */
import type { ConnectionSpec } from '../db/connection-spec';
import { databaseKey } from '../db/connection-spec';
import { withClient } from '../db/server';
import { ConnectionError } from '../errors';
import type { EventListener } from '../events';

export interface WatchedSession {
  target: string;
  spec: ConnectionSpec;
  pid: number;
  /** True while the client waits for an answer to a statement. */
  busy(): boolean;
  /** Cuts the connection; its pending statement fails with `reason`. */
  abort(reason: Error): void;
}

export interface WatchdogOptions {
  /** How often to look (ms). */
  intervalMs: number;
  /** Name a target that waits on a lock for longer than this (ms). */
  lockNoticeMs: number;
  /** Cut a connection whose server side has been idle this long while the client waits (ms). */
  stallMs: number;
}

interface Row {
  pid: number;
  state: string | null;
  wait_event_type: string | null;
  state_ms: number | null;
  blocker: number | null;
  blocker_state: string | null;
  blocker_query: string | null;
}

export class Watchdog {
  private readonly sessions = new Map<string, WatchedSession & { since: number }>();
  private readonly stalledSince = new Map<string, number>();
  private readonly lastContact = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(
    private readonly emit: EventListener,
    private readonly options: WatchdogOptions,
  ) {}

  add(session: WatchedSession): void {
    this.sessions.set(session.target, { ...session, since: Date.now() });
    if (!this.lastContact.has(databaseKey(session.spec))) this.lastContact.set(databaseKey(session.spec), Date.now());
    if (!this.timer) {
      this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
      this.timer.unref();
    }
  }

  remove(target: string): void {
    this.sessions.delete(target);
    this.stalledSince.delete(target);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      // Only targets that have been at it for a while are looked at: a fleet of quick targets costs
      // no extra connection (the look itself is one short connection per database, outside the budget).
      const slow = Math.min(this.options.lockNoticeMs, this.options.stallMs);
      const byDatabase = new Map<string, WatchedSession[]>();
      for (const s of this.sessions.values()) {
        if (Date.now() - s.since < slow) continue;
        byDatabase.set(databaseKey(s.spec), [...(byDatabase.get(databaseKey(s.spec)) ?? []), s]);
      }
      await Promise.all([...byDatabase].map(([key, group]) => this.look(key, group)));
    } finally {
      this.ticking = false;
    }
  }

  private async look(key: string, group: WatchedSession[]): Promise<void> {
    let rows: Row[];
    try {
      rows = await withClient(group[0].spec, { applicationName: 'fleet:watchdog', connectTimeoutMs: Math.min(5_000, this.options.stallMs) }, async (c) => {
        await c.query(`SET statement_timeout = ${Math.min(5_000, this.options.stallMs)}`);
        return (
          await c.query<Row>(
            `SELECT p.pid, a.state, a.wait_event_type, (extract(epoch FROM now() - a.state_change) * 1000)::float8 AS state_ms,
                    b.pid AS blocker, b.state AS blocker_state, left(b.query, 160) AS blocker_query
               FROM unnest($1::int[]) AS p(pid)
               LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = p.pid
               LEFT JOIN LATERAL (SELECT x.pid, x.state, x.query FROM pg_catalog.pg_stat_activity x
                                   WHERE x.pid = ANY (pg_catalog.pg_blocking_pids(p.pid)) ORDER BY x.xact_start LIMIT 1) b ON true`,
            [group.map((s) => s.pid)],
          )
        ).rows;
      });
      this.lastContact.set(key, Date.now());
    } catch {
      // The server cannot be reached from here either: once that has lasted stallMs, the targets
      // waiting on it will not hear back.
      const silentFor = Date.now() - (this.lastContact.get(key) ?? Date.now());
      if (silentFor >= this.options.stallMs) {
        for (const s of group.filter((x) => x.busy())) {
          s.abort(
            new ConnectionError(
              `no answer from the server ${s.spec.host}:${s.spec.port} for ${Math.round(silentFor / 1000)} s (it cannot be reached): the network stalled; the target's transaction is rolled back by the server`,
              { stalled: true },
            ),
          );
        }
      }
      return;
    }
    const byPid = new Map(rows.map((r) => [r.pid, r]));
    for (const s of group) {
      const row = byPid.get(s.pid);
      if (row?.wait_event_type === 'Lock' && (row.state_ms ?? 0) >= this.options.lockNoticeMs) {
        const holder = row.blocker ? `pid ${row.blocker} (${row.blocker_state ?? 'unknown state'}: ${(row.blocker_query ?? '').replace(/\s+/g, ' ').trim()})` : 'another session';
        this.emit({ type: 'notice', message: `${s.target}: waiting ${Math.round((row.state_ms ?? 0) / 1000)} s for a lock held by ${holder}` });
      }
      const serverWaitsForUs = !row?.state || row.state.startsWith('idle');
      if (s.busy() && serverWaitsForUs) {
        const since = this.stalledSince.get(s.target) ?? Date.now();
        this.stalledSince.set(s.target, since);
        const idleMs = Math.max(Date.now() - since, row?.state_ms ?? 0);
        if (idleMs >= this.options.stallMs) {
          s.abort(
            new ConnectionError(
              `no answer from the server for ${Math.round(idleMs / 1000)} s while it shows this session ${row?.state ?? 'gone'} (waiting for Fleet): ` +
                'the network between Fleet and the server stalled; the connection was cut and the target fails, the rest go on',
              { stalled: true },
            ),
          );
        }
      } else this.stalledSince.delete(s.target);
    }
  }
}
