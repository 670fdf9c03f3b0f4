import type { RunReport } from '../executor/result';
import type { HistoryReport } from '../commands/history';
import type { StatusReport } from '../commands/status';

/** Final report of migrate / revert / stamp, one line per target plus a summary line. */
export function formatRunReport(report: RunReport): string {
  const lines: string[] = [];
  for (const r of report.results) {
    const parts: string[] = [];
    if (r.applied.length) parts.push(`applied ${r.applied.length}`);
    if (r.reverted.length) parts.push(`reverted ${r.reverted.length}`);
    if (r.skipped.length) parts.push(`skipped ${r.skipped.length}`);
    if (r.recorded.length) parts.push(`stamped: ${r.recorded.join(', ')}`);
    let head: string;
    switch (r.outcome) {
      case 'changed':
        head = 'ok';
        break;
      case 'unchanged':
        head = 'ok';
        parts.push('nothing to do');
        break;
      case 'failed':
        head = 'FAILED';
        parts.push(r.failed?.migration ? `at ${r.failed.migration}: ${String(r.failed.error.message)}` : String(r.failed?.error.message));
        break;
      case 'blocked':
        head = 'BLOCKED';
        parts.push(...r.findings.filter((f) => f.severity === 'error').map((f) => f.message));
        break;
      default:
        head = 'NOT RUN';
        parts.push(String(r.failed?.error.message ?? ''));
    }
    const version = r.versionBefore === r.versionAfter ? `at ${r.versionAfter ?? '(none)'}` : `${r.versionBefore ?? '(none)'} -> ${r.versionAfter ?? '(none)'}`;
    if (report.results.length <= 50 || r.outcome !== 'unchanged') lines.push(`${head.padEnd(7)} ${r.target}  ${version}  ${parts.join('; ')}`.trimEnd());
    for (const f of r.findings) if (f.severity === 'warning') lines.push(`        warning: ${f.message}`);
  }
  const s = report.summary;
  lines.push(
    `${report.command}: ${s.targets} target(s): ${s.changed} changed, ${s.unchanged} unchanged, ${s.failed} failed, ${s.blocked} blocked, ${s.notRun} not run ` +
      `(${(report.durationMs / 1000).toFixed(2)} s)`,
  );
  return lines.join('\n');
}

export function formatStatus(report: StatusReport): string {
  const lines: string[] = [];
  for (const t of report.targets) {
    const state = t.state.toUpperCase();
    let detail = `version ${t.version ?? '(none)'}`;
    if (t.pending.length) detail += `; ${t.pending.length} pending: ${t.pending.join(', ')}`;
    if (t.skipped.length) detail += `; ${t.skipped.length} skipped by condition`;
    lines.push(`${state.padEnd(8)} ${t.target}  ${detail}`);
    if (t.note) lines.push(`         note: ${t.note}`);
    for (const f of t.findings) lines.push(`         ${f.severity}: ${f.message}`);
    if (t.error) lines.push(`         error: ${String(t.error.message)}`);
  }
  const s = report.summary;
  lines.push(`status: ${s.targets} target(s): ${s['at-head']} at head, ${s.pending} pending, ${s.diverged} diverged, ${s.failed} failed`);
  return lines.join('\n');
}

export function formatHistory(report: HistoryReport): string {
  const lines: string[] = [];
  for (const t of report.targets) {
    lines.push(`${t.target} (schema ${t.schema})`);
    if (t.error) lines.push(`  error: ${String(t.error.message)}`);
    if (t.note) lines.push(`  note: ${t.note}`);
    if (!t.error && t.entries.length === 0) lines.push('  (nothing applied)');
    for (const e of t.entries) {
      const flags = [e.status !== 'applied' ? e.status : '', e.method !== 'run' ? e.method : '', e.checksum !== 'ok' ? `checksum ${e.checksum}` : '']
        .filter(Boolean)
        .join(', ');
      lines.push(
        `  ${e.appliedAt ? e.appliedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-'.padEnd(20)}  ${e.name}` +
          `${e.durationMs !== null ? `  ${e.durationMs} ms` : ''}${flags ? `  [${flags}]` : ''}${e.reason ? `  ${e.reason}` : ''}`,
      );
    }
  }
  return lines.join('\n');
}
