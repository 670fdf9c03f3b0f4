/**
 * A staged rollout as phases of one run: the global tracks, then the tenants wave by wave. The
 * tenants are discovered once, when the first wave is due; each later wave starts only when the
 * one before it passed (rollout/waves.ts decides), after its pause. A stopped rollout reports
 * every tenant that did not start, by wave. Queue mode works the same: waves are phases, the
 * queue only changes where a target runs.
 */
import { ConfigError } from '../errors';
import type { FleetPhase } from '../executor/run-fleet';
import { emptyResult, TargetResult } from '../executor/result';
import { assignWaves, Wave, waveVerdict } from '../rollout/waves';
import type { Target } from '../targets/target';
import type { FleetRuntime } from './runtime';

export interface WaveReport {
  name: string;
  /** `done`, `failed` (it stopped the rollout), `not-started` (an earlier wave stopped it), `skipped` (--wave named another). */
  state: 'done' | 'failed' | 'not-started' | 'skipped';
  tenants: string[];
  changed: number;
  unchanged: number;
  failed: number;
  notRun: number;
  /** Why the rollout stopped here (a failing wave) or before (not started). */
  reason?: string;
}

interface Assigned {
  byWave: Target[][];
  unassigned: Target[];
  results: TargetResult[];
}

export function rolloutPhases(runtime: FleetRuntime, tenants: FleetPhase, only?: string): { phases: FleetPhase[]; report(results: readonly TargetResult[]): WaveReport[] } {
  const waves = runtime.config.rollout?.waves ?? [];
  if (only !== undefined && !waves.some((w) => w.name === only)) {
    throw new ConfigError(
      waves.length
        ? `--wave ${only}: app ${runtime.config.app} has no such wave (waves: ${waves.map((w) => w.name).join(', ')}).`
        : `--wave ${only}: app ${runtime.config.app} has no rollout in its config.`,
      { wave: only },
    );
  }
  // The tenants are discovered once, when the first wave is due (phases run one after another).
  let assigned: Assigned | undefined;
  const assign = async (previous: readonly TargetResult[]): Promise<Assigned> => {
    if (assigned) return assigned;
    const found = typeof tenants === 'function' ? await tenants(previous) : { targets: tenants, results: [] };
    const members = found.targets.map((target) => ({ id: target.info.tenant ?? target.id, attributes: target.info.attributes, target }));
    const split = assignWaves(members, waves);
    assigned = { byWave: split.waves.map((w) => w.members.map((m) => m.target)), unassigned: split.unassigned.map((m) => m.target), results: found.results };
    return assigned;
  };
  let stopped: string | null = null;
  const states = new Map<string, WaveReport['state']>();
  const reasons = new Map<string, string>();

  const phases: FleetPhase[] = waves.map((wave, i) => async (previous) => {
    const a = await assign(previous);
    const members = a.byWave[i];
    // The first wave also carries what discovery could not turn into a target, and the tenants no wave takes.
    const extra = i === 0 ? [...a.results, ...a.unassigned.map((t) => notStarted(t, 'in no wave of the rollout (add a last wave with rest: true)'))] : [];
    if (only !== undefined && wave.name !== only) {
      states.set(wave.name, 'skipped');
      return { targets: [], results: extra };
    }
    if (only === undefined && i > 0) {
      const before = waves[i - 1];
      if (!stopped && states.get(before.name) === 'done') {
        const ids = new Set(a.byWave[i - 1].map((t) => t.id));
        const verdict = waveVerdict(
          before,
          previous.filter((r) => ids.has(r.target)),
        );
        if (verdict) {
          stopped = verdict;
          states.set(before.name, 'failed');
          reasons.set(before.name, verdict);
        }
      }
      if (stopped) {
        states.set(wave.name, 'not-started');
        reasons.set(wave.name, stopped);
        if (members.length) {
          runtime.emit({
            type: 'notice',
            message: `rollout stopped (${stopped}): wave ${wave.name} did not start, ${members.length} tenant(s): ${preview(members)}`,
          });
        }
        return { targets: [], results: [...extra, ...members.map((t) => notStarted(t, `rollout stopped before wave ${wave.name}: ${stopped}`))] };
      }
      if (wave.pauseMs && members.length) await pause(runtime, wave, members.length);
    }
    states.set(wave.name, 'done');
    runtime.emit({ type: 'notice', message: `wave ${wave.name} (${i + 1}/${waves.length}): ${members.length} tenant(s)` });
    return { targets: members, results: extra };
  });

  const report = (results: readonly TargetResult[]): WaveReport[] => {
    const byId = new Map(results.map((r) => [r.target, r]));
    return waves.map((wave, i) => summarize(wave, i, byId));
  };

  const summarize = (wave: Wave, i: number, byId: Map<string, TargetResult>): WaveReport => {
    const list = assigned?.byWave[i] ?? [];
    const own = list.map((t) => byId.get(t.id)).filter((r): r is TargetResult => !!r);
    const count = (o: TargetResult['outcome']) => own.filter((r) => r.outcome === o).length;
    let state = states.get(wave.name) ?? 'not-started';
    // The last wave that ran: its verdict is only known now.
    if (state === 'done' && waveVerdict(wave, own)) state = 'failed';
    return {
      name: wave.name,
      state,
      tenants: list.map((t) => t.info.tenant ?? t.id),
      changed: count('changed'),
      unchanged: count('unchanged'),
      failed: count('failed') + count('blocked'),
      notRun: count('not-run'),
      ...(reasons.has(wave.name) ? { reason: reasons.get(wave.name) } : state === 'failed' ? { reason: waveVerdict(wave, own) ?? undefined } : {}),
    };
  };
  return { phases, report };
}

function notStarted(target: Target, why: string): TargetResult {
  const result = emptyResult(target);
  result.failed = { migration: null, error: { code: 'NOT_RUN', message: `not started: ${why}` } };
  return result;
}

function preview(targets: Target[]): string {
  const ids = targets.map((t) => t.info.tenant ?? t.id);
  return ids.length > 8 ? `${ids.slice(0, 8).join(', ')} and ${ids.length - 8} more` : ids.join(', ');
}

async function pause(runtime: FleetRuntime, wave: Wave, count: number): Promise<void> {
  runtime.emit({ type: 'notice', message: `pausing ${(wave.pauseMs! / 1000).toFixed(1)} s before wave ${wave.name} (${count} tenant(s)); Ctrl-C stops the rollout here` });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, wave.pauseMs);
    runtime.signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
