import type { RunReport } from '../executor/result';
import { printable as p } from '../terminal-text';

/** A target's attempts (when it took more than one, or a transient failure was not retried) and the INVALID indexes dropped or left. */
export function attemptLines(r: RunReport['results'][number]): string[] {
  const lines: string[] = [];
  for (const a of r.attempts ?? []) {
    const what = a.ok ? p(a.message) : `${a.sqlState ?? 'error'}${a.kind ? ` ${a.kind}` : ''}${a.migration ? ` at ${p(a.migration)}` : ''}`;
    const then = a.ok ? '' : a.waitMs !== null ? `; retried after ${(a.waitMs / 1000).toFixed(1)} s` : a.gaveUp ? `; not retried: ${p(a.gaveUp)}` : '';
    lines.push(`        attempt ${a.attempt}: ${what} (lock_timeout ${a.lockTimeoutMs} ms, ${(a.durationMs / 1000).toFixed(1)} s)${then}`);
  }
  for (const i of r.repairedIndexes ?? [])
    lines.push(`        dropped INVALID index ${p(i.index)} on ${p(i.table)} (a failed concurrent build of ${p(i.migration)}, attempt ${i.attempt})`);
  for (const i of r.invalidIndexes ?? []) lines.push(`        INVALID index left: ${p(i.index)} on ${p(i.table)} (${p(i.migration)}): drop it with DROP INDEX CONCURRENTLY`);
  return lines;
}
