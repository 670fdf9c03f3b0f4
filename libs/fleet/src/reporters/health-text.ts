import { describeHealthReason } from '../health/reasons';
import type { FleetEvent } from '../events';
import type { HealthReport } from '../executor/health-gate';
import { printable as p } from '../terminal-text';

type HealthEvent = Extract<FleetEvent, { type: 'health' }>;

/** One progress line for a health event (terminal and CI alike; the worker's log too). */
export function formatHealthEvent(event: HealthEvent): string {
  const where = `${p(event.server)}${event.database ? ` (database ${p(event.database)})` : ''}`;
  const why = event.reasons.map((r) => p(describeHealthReason(r))).join('; ');
  const secs = `${(event.pausedMs / 1000).toFixed(1)} s`;
  switch (event.state) {
    case 'paused':
      return `health: pausing new targets on ${where}: ${why}; targets already running go on`;
    case 'still-paused':
      return `health: still paused on ${where} after ${secs} (${event.waiting} target(s) waiting): ${why}`;
    case 'resumed':
      return `health: resumed on ${where} after ${secs}`;
    case 'gave-up':
      return `health: gave up waiting on ${where} after ${secs} (health.maxPauseMs): ${why}; targets that would start there are NOT RUN`;
  }
}

/** The run report's lines for its pauses and the checks that could not be made. */
export function formatHealthReport(health: HealthReport | undefined): string[] {
  if (!health) return [];
  const lines = health.pauses.map((pause) => {
    const where = `${p(pause.server)}${pause.database ? ` (database ${p(pause.database)})` : ''}`;
    const ended = pause.ended === 'resumed' ? 'resumed' : pause.ended === 'gave-up' ? `gave up, ${pause.targetsNotStarted} target(s) not started` : 'until the run ended';
    return `paused  ${where} for ${(pause.durationMs / 1000).toFixed(1)} s (${ended}; ${pause.targetsWaited} target(s) waited): ${pause.reasons.map((r) => p(describeHealthReason(r))).join('; ')}`;
  });
  for (const w of health.warnings) lines.push(`        warning: ${p(w)}`);
  return lines;
}
