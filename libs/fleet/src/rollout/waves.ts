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
  /**
   * The tenants whose id hashes into this wave's slice of [0, 100): the percents of the percent
   * waves stack in order (see assignWaves). Depends on the id alone: the same tenants every run,
   * and a sign-up never moves another tenant.
   */
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
 * `unassigned`. A tenant's wave depends on the tenant alone (its attributes for `match` waves,
 * its id for `percent` waves), never on the other tenants: a sign-up or a removal moves no
 * existing tenant between waves, on every run and machine.
 *
 * Percent waves are slices of one scale: each tenant id hashes to a point in [0, 100)
 * (`hashPoint`), and the percent waves, in order, take consecutive slices of it (`canary 5`, then
 * `early 20`: [0, 5) and [5, 25)). A tenant an earlier `match` wave took stays there. A slice is
 * a share of the id space, not a count: with few tenants a small wave may be empty.
 */
export function assignWaves<T extends WaveMember>(members: readonly T[], waves: readonly Wave[]): { waves: Array<{ wave: Wave; members: T[] }>; unassigned: T[] } {
  let remaining = [...members];
  const out: Array<{ wave: Wave; members: T[] }> = [];
  let sliceStart = 0;
  for (const wave of waves) {
    let taken: T[];
    if (wave.rest) taken = remaining;
    else if (wave.match) taken = remaining.filter((m) => matches(m.attributes, wave.match!));
    else {
      const from = sliceStart;
      const to = Math.min(100, sliceStart + (wave.percent ?? 0));
      sliceStart = to;
      taken = remaining.filter((m) => {
        const point = hashPoint(m.id);
        return point >= from && point < to;
      });
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

/** A tenant id's place on the percent scale, in [0, 100): the first 32 bits of sha256(id), scaled. */
export function hashPoint(id: string): number {
  return (createHash('sha256').update(id).digest().readUInt32BE(0) / 2 ** 32) * 100;
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
  const percents = rollout.waves.map((w, i) => ({ i, percent: w.percent })).filter((w) => typeof w.percent === 'number');
  const total = percents.reduce((sum, w) => sum + w.percent!, 0);
  if (total > 100) {
    problems.push({
      field: `rollout.waves[${percents[percents.length - 1].i}].percent`,
      problem: `the percent waves add up to ${total}, more than 100 (they take consecutive slices of the tenants: make them add up to 100 at most)`,
    });
  }
  return problems;
}
