/**
 * Staged rollouts: the tenants of a migrate, split into ordered waves (internal tenants first,
 * then a few percent, then the rest). Pure: which tenant goes in which wave, and whether a wave's
 * results let the next one start. The command (commands/run-commands.ts) runs the waves as phases.
 */
import { createHash } from 'node:crypto';

/** One wave: exactly one selector (`match`, `percent` or `rest`), and what a failure in it means. */
export interface Wave {
  name: string;
  /** Tenants whose attributes equal these (a list: any of its values), e.g. `{ plan: 'internal' }`. */
  match?: Record<string, string | number | boolean | Array<string | number | boolean>>;
  /** This percentage of the tenants no earlier wave took, chosen by a stable hash of their ids (the same tenants every run). */
  percent?: number;
  /** Every tenant no earlier wave took. */
  rest?: true;
  /** `stop` (default): a failing wave ends the rollout, later waves do not start. `continue`: go on. */
  onError?: 'stop' | 'continue';
  /** Failed or blocked targets the wave tolerates before it counts as failing (default 0). */
  failureThreshold?: number;
  /** Wait this long before the wave starts (ms, default 0): time to watch the previous wave in production. */
  pauseMs?: number;
}

export interface RolloutConfig {
  waves: Wave[];
}

export interface WaveMember {
  id: string;
  attributes: Readonly<Record<string, unknown>>;
}

/**
 * The wave of each tenant, in wave order; a tenant in no wave (no `rest` wave at the end) is in
 * `unassigned`. Deterministic: the same tenants give the same waves on every run and machine.
 */
export function assignWaves<T extends WaveMember>(members: readonly T[], waves: readonly Wave[]): { waves: Array<{ wave: Wave; members: T[] }>; unassigned: T[] } {
  let remaining = [...members];
  const out: Array<{ wave: Wave; members: T[] }> = [];
  for (const wave of waves) {
    let taken: T[];
    if (wave.rest) taken = remaining;
    else if (wave.match) taken = remaining.filter((m) => matches(m.attributes, wave.match!));
    else {
      const count = Math.ceil(((wave.percent ?? 0) / 100) * remaining.length);
      taken = [...remaining].sort((a, b) => rank(wave.name, a.id).localeCompare(rank(wave.name, b.id)) || a.id.localeCompare(b.id)).slice(0, count);
    }
    const chosen = new Set(taken);
    out.push({ wave, members: remaining.filter((m) => chosen.has(m)) });
    remaining = remaining.filter((m) => !chosen.has(m));
  }
  return { waves: out, unassigned: remaining };
}

function matches(attributes: Readonly<Record<string, unknown>>, selector: NonNullable<Wave['match']>): boolean {
  return Object.entries(selector).every(([key, wanted]) => (Array.isArray(wanted) ? wanted : [wanted]).some((w) => String(attributes[key]) === String(w)));
}

function rank(wave: string, id: string): string {
  return createHash('sha1').update(`${wave}\u0000${id}`).digest('hex');
}

/** Whether a wave's outcome ends the rollout, and why (null: the next wave may start). */
export function waveVerdict(wave: Wave, results: ReadonlyArray<{ outcome: string }>): string | null {
  const failed = results.filter((r) => r.outcome === 'failed' || r.outcome === 'blocked').length;
  const threshold = wave.failureThreshold ?? 0;
  if (failed <= threshold || (wave.onError ?? 'stop') === 'continue') return null;
  return `wave ${wave.name} failed: ${failed} of ${results.length} target(s) failed or blocked${threshold ? ` (it tolerates ${threshold})` : ''}`;
}

/** Problems of a rollout config (names unique, one selector each, `rest` last), for the config checks. */
export function rolloutProblems(rollout: RolloutConfig): Array<{ field: string; problem: string }> {
  const problems: Array<{ field: string; problem: string }> = [];
  const seen = new Set<string>();
  rollout.waves.forEach((wave, i) => {
    const field = `rollout.waves[${i}]`;
    if (seen.has(wave.name)) problems.push({ field: `${field}.name`, problem: `"${wave.name}" names two waves` });
    seen.add(wave.name);
    const selectors = [wave.match !== undefined, wave.percent !== undefined, wave.rest !== undefined].filter(Boolean).length;
    if (selectors !== 1) problems.push({ field, problem: 'needs exactly one of match, percent, rest' });
    if (wave.rest && i !== rollout.waves.length - 1) problems.push({ field: `${field}.rest`, problem: 'only the last wave can take the rest' });
  });
  return problems;
}
