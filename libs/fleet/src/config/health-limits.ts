/** The limits of health-aware pacing (config `health`; db/health.ts judges samples against them). */

/** The limits (config `health`); `false` turns one check off. Defaults: DEFAULT_HEALTH_LIMITS. */
export interface HealthLimits {
  /** A standby more than this far behind in time (its replay_lag, while it is behind) pauses the fan-out (ms). */
  maxReplicationLagMs: number | false;
  /** A standby with more than this much WAL not replayed pauses the fan-out (bytes). */
  maxReplicationLagBytes: number | false;
  /** More application sessions than this blocked behind Fleet's sessions pause the fan-out. */
  maxBlockedSessions: number | false;
  /** A transaction of another session open longer than this in the target's database pauses its targets (ms). */
  maxTransactionAgeMs: number | false;
  /** Sample each server at most this often (ms); waiting targets look again after this long. */
  checkEveryMs: number;
  /** Targets that waited this long for a server to recover are not started: reported NOT RUN (ms; false: wait until Ctrl-C). */
  maxPauseMs: number | false;
}

export const DEFAULT_HEALTH_LIMITS: HealthLimits = {
  maxReplicationLagMs: 30_000,
  maxReplicationLagBytes: 1024 * 1024 * 1024,
  maxBlockedSessions: 0,
  maxTransactionAgeMs: 60_000,
  checkEveryMs: 1_000,
  maxPauseMs: 600_000,
};

/** The config's `health` (partial, or false) with every default filled in; null when health checks are off. */
export function resolveHealthLimits(config: Partial<HealthLimits> | false | undefined): HealthLimits | null {
  if (config === false) return null;
  const out = { ...DEFAULT_HEALTH_LIMITS };
  for (const [key, value] of Object.entries(config ?? {})) if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  return out;
}
