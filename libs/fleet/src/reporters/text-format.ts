import type { RunReport } from '../executor/result';
import type { HistoryReport } from '../commands/history';
import type { StatusReport } from '../commands/status';
import type { VerifyReport } from '../commands/verify';
import type { IndexRepair } from '../storage/index-repair';
import type { DriftReport } from '../commands/drift';
import type { CadenceReport } from '../commands/cadence';
import type { RunPlan } from '../commands/plan-run';
import { plain, Style, toneOf } from './style';
import { printable as p } from '../terminal-text';
import { formatHealthReport } from './health-text';
import { attemptLines } from './attempt-lines';

export { formatLint } from './lint-text';

/** Final report of migrate / revert / stamp, one line per target plus a summary line. */
export function formatRunReport(report: RunReport, style: Style = plain): string {
  const lines: string[] = [];
  /** Large runs: successful targets grouped by what happened to them; problems one per line. */
  const groups = new Map<string, number>();
  for (const r of report.results) {
    const parts: string[] = [];
    if (r.applied.length) parts.push(`applied ${r.applied.length}`);
    if (r.reverted.length) parts.push(`reverted ${r.reverted.length}`);
    if (r.skipped.length) parts.push(`skipped ${r.skipped.length}`);
    if (r.recorded.length) parts.push(`stamped: ${r.recorded.map(p).join(', ')}`);
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
        parts.push(r.failed?.migration ? `at ${p(r.failed.migration)}: ${p(r.failed.error.message)}` : p(r.failed?.error.message));
        break;
      case 'blocked':
        head = 'BLOCKED';
        parts.push(...r.findings.filter((f) => f.severity === 'error').map((f) => p(f.message)));
        break;
      default:
        head = 'NOT RUN';
        parts.push(p(r.failed?.error.message ?? ''));
    }
    const version = r.versionBefore === r.versionAfter ? `at ${p(r.versionAfter ?? '(none)')}` : `${p(r.versionBefore ?? '(none)')} -> ${p(r.versionAfter ?? '(none)')}`;
    const fine = r.outcome === 'changed' || r.outcome === 'unchanged';
    if (report.results.length <= GROUP_ABOVE || !fine) lines.push(`${paint(style, head.padEnd(7), head.toLowerCase())} ${p(r.target)}  ${version}  ${parts.join('; ')}`.trimEnd());
    else {
      const key = `${r.outcome}: ${version}`;
      groups.set(key, (groups.get(key) ?? 0) + 1);
    }
    for (const f of r.findings) if (f.severity === 'warning') lines.push(`        warning: ${p(f.message)}`);
    lines.push(...attemptLines(r));
  }
  for (const [key, n] of groups) lines.push(`${String(n).padStart(6)} ${key}`);
  for (const w of report.waves ?? []) {
    const ids = w.tenants.length > 8 ? `${w.tenants.slice(0, 8).map(p).join(', ')} and ${w.tenants.length - 8} more` : w.tenants.map(p).join(', ');
    const counts = `${w.changed} changed, ${w.unchanged} unchanged, ${w.failed} failed, ${w.notRun} not run`;
    const tone = w.state === 'failed' ? 'failed' : w.state === 'not-started' ? 'not run' : 'ok';
    lines.push(
      `${paint(style, `wave ${w.name}`.padEnd(16), tone)} ${w.state.padEnd(11)} ${w.tenants.length} tenant(s)${w.tenants.length ? `: ${counts}` : ''}${w.reason ? ` (${p(w.reason)})` : ''}`,
    );
    if (w.state === 'not-started' && w.tenants.length) lines.push(`                 did not start: ${ids}`);
  }
  lines.push(...formatHealthReport(report.health));
  if (report.queue) lines.push(`queued run ${report.queue.run} (fleet run status --run ${report.queue.run})`);
  const s = report.summary;
  lines.push(
    `${report.command}: ${s.targets} target(s): ${s.changed} changed, ${s.unchanged} unchanged, ${s.failed} failed, ${s.blocked} blocked, ${s.notRun} not run ` +
      `(${(report.durationMs / 1000).toFixed(2)} s)` +
      (report.interrupted ? `; INTERRUPTED by ${report.interrupted}: run again to continue where it stopped` : ''),
  );
  return lines.join('\n');
}

function statusFooter(report: StatusReport, style: Style = plain): string[] {
  const lines: string[] = [];
  for (const o of report.orphans.slice(0, 50)) lines.push(`ORPHAN   ${report.app}/${o.database}: ${p(o.name)} looks like a tenant's, but no registered tenant owns it`);
  if (report.orphans.length > 50) lines.push(`... and ${report.orphans.length - 50} more orphans`);
  for (const w of report.waves ?? []) {
    const parts = (['at-head', 'pending', 'failed', 'diverged', 'missing'] as const).filter((k) => w[k] > 0).map((k) => `${w[k]} ${k.replace('-', ' ')}`);
    lines.push(`${`wave ${w.name}`.padEnd(16)} ${w.tenants} tenant(s)${parts.length ? `: ${parts.join(', ')}` : ''}`);
  }
  for (const step of report.next) lines.push(`${style('cyan', 'next:')} ${p(step)}`);
  const ix = report.index;
  if (ix) {
    const verified = ix.oldestVerifiedAt ? `last verified ${ix.oldestVerifiedAt}` : ix.databases ? 'never verified' : 'no index yet';
    lines.push(
      `index: ${ix.fromIndex} target(s) answered from the fleet index, ${ix.readFromTables} read from their version tables; ${verified}` +
        (ix.changedSinceVerify ? `; ${ix.changedSinceVerify} row(s) written by Fleet since` : ''),
    );
    for (const w of ix.warnings) lines.push(`${style('yellow', 'warning:')} ${p(w)}`);
  }
  const s = report.summary;
  lines.push(
    `status: ${s.targets} target(s): ${s['at-head']} at head, ${s.pending} pending${behindBy(report.behind)}, ${s.diverged} diverged, ${s.failed} failed` +
      (s.missing ? `, ${s.missing} missing` : '') +
      (report.orphans.length ? `; ${report.orphans.length} orphan(s)` : ''),
  );
  return lines;
}

/** ` (40 behind by 1, 2 behind by 3)`, or nothing. */
function behindBy(behind: StatusReport['behind'] | undefined): string {
  const parts = Object.entries(behind ?? {})
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([n, count]) => `${count} behind by ${n}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** Above this many targets, status groups identical states instead of a line per target. */
export const GROUP_ABOVE = 20;

export function formatStatus(report: StatusReport, style: Style = plain): string {
  const lines: string[] = [];
  if (report.targets.length > GROUP_ABOVE) return formatGroupedStatus(report, style);
  for (const t of report.targets) {
    const state = t.state.toUpperCase();
    let detail = `version ${p(t.version ?? '(none)')}`;
    if (t.pending.length) detail += `; ${t.pending.length} pending: ${t.pending.map(p).join(', ')}`;
    if (t.skipped.length) detail += `; ${t.skipped.length} skipped by condition`;
    lines.push(`${paint(style, state.padEnd(8), t.state)} ${p(t.target)}  ${detail}`);
    if (t.note) lines.push(`         note: ${p(t.note)}`);
    for (const f of t.findings) lines.push(`         ${f.severity}: ${p(f.message)}`);
    if (t.error) lines.push(`         error: ${p(t.error.message)}`);
  }
  return [...lines, ...statusFooter(report, style)].join('\n');
}

export function formatHistory(report: HistoryReport): string {
  const lines: string[] = [];
  for (const t of report.targets) {
    lines.push(`${p(t.target)} (schema ${p(t.schema)})`);
    if (t.error) lines.push(`  error: ${p(t.error.message)}`);
    if (t.note) lines.push(`  note: ${p(t.note)}`);
    if (!t.error && t.entries.length === 0) lines.push('  (nothing applied)');
    for (const e of t.entries) {
      const flags = [e.status !== 'applied' ? e.status : '', e.method !== 'run' ? e.method : '', e.checksum !== 'ok' ? `checksum ${e.checksum}` : ''].filter(Boolean).join(', ');
      lines.push(
        `  ${e.appliedAt ? e.appliedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-'.padEnd(20)}  ${p(e.name)}` +
          `${e.durationMs !== null ? `  ${e.durationMs} ms` : ''}${flags ? `  [${flags}]` : ''}${e.reason ? `  ${p(e.reason)}` : ''}`,
      );
    }
  }
  return lines.join('\n');
}

/**
 * Fleet-scale status: identical states grouped, e.g.
 *   998 at-head   app1/users (tenant) at CreateProjects...
 *     2 pending   app1/users (tenant) at CreateUsers...: acme, globex
 */
function formatGroupedStatus(report: StatusReport, style: Style = plain): string {
  const groups = new Map<string, { state: string; track: string; version: string | null; members: string[]; sample: string | null }>();
  for (const t of report.targets) {
    const track = `${t.app}/${t.database} (${t.tenant === null ? (t.target.split('/').length > 2 ? 'shard' : 'global') : 'tenant'})`;
    const key = `${track}|${t.state}|${t.version}`;
    const g = groups.get(key) ?? { state: t.state, track, version: t.version, members: [], sample: null };
    g.members.push(p(t.tenant ?? t.target));
    g.sample ??= t.error ? p(t.error.message) : ((m) => (m === undefined ? null : p(m)))(t.findings.find((f) => f.severity === 'error')?.message);
    groups.set(key, g);
  }
  const lines: string[] = [];
  for (const g of [...groups.values()].sort((a, b) => a.track.localeCompare(b.track) || b.members.length - a.members.length)) {
    const who =
      g.state === 'at-head' && g.members.length > 5 ? '' : `: ${g.members.slice(0, 20).join(', ')}${g.members.length > 20 ? `, ... (${g.members.length - 20} more)` : ''}`;
    lines.push(`${String(g.members.length).padStart(6)} ${paint(style, g.state.padEnd(8), g.state)} ${g.track} at ${p(g.version ?? '(none)')}${who}`);
    if (g.sample) lines.push(`         ${g.sample}`);
  }
  return [...lines, ...statusFooter(report, style)].join('\n');
}

export function formatVerify(report: VerifyReport): string {
  const lines: string[] = [];
  for (const [track, head] of Object.entries(report.heads)) lines.push(`head of ${track}: ${p(head ?? '(no migrations)')}`);
  for (const s of report.stragglers.slice(0, 200)) {
    lines.push(
      `STRAGGLER ${p(s.target)}${s.kind === 'spare' ? ' (spare)' : ''}: ${s.state} at ${p(s.version ?? '(none)')}${s.pending.length ? `, ${s.pending.length} pending` : ''}${s.problem ? ` (${p(s.problem)})` : ''}`,
    );
  }
  if (report.stragglers.length > 200) lines.push(`... and ${report.stragglers.length - 200} more stragglers`);
  for (const o of report.orphans) lines.push(`ORPHAN ${report.app}/${o.database}: ${p(o.name)} (no registered tenant owns it)`);
  lines.push(...formatIndexProof(report.index));
  for (const i of report.invalidIndexes ?? [])
    lines.push(`INVALID ${p(i.target)}: index ${p(i.schema)}.${p(i.index)} on ${p(i.table)} (a failed concurrent build: DROP INDEX CONCURRENTLY it, then migrate)`);
  const invalid = report.invalidIndexes?.length ? `, ${report.invalidIndexes.length} INVALID index(es)` : '';
  lines.push(
    report.ok
      ? `verify: all ${report.targets} target(s) at head`
      : `verify: ${report.atHead}/${report.targets} target(s) at head, ${report.stragglers.length} straggler(s)${report.orphans.length ? `, ${report.orphans.length} orphan(s)` : ''}${invalid}`,
  );
  return lines.join('\n');
}

/** What verify found in the fleet index: built, repaired (each row: what it said, what is true), stamped. */
function formatIndexProof(ix: VerifyReport['index']): string[] {
  const said = (v: IndexRepair['was']) =>
    v ? `${v.head ?? '(none)'} (${v.applied} applied${v.skipped ? `, ${v.skipped} skipped` : ''}${v.started ? `, ${v.started} started` : ''})` : 'no row';
  const lines = ix.repairs.map((r) => `REPAIRED ${p(r.target)}: the index said ${p(said(r.was))}, the version table says ${p(said(r.now))}`);
  const { added, corrected, removed } = ix.repaired;
  const total = added + corrected + removed;
  if (total > ix.repairs.length) lines.push(`... and ${total - ix.repairs.length} more repaired rows`);
  for (const u of ix.unproven) lines.push(`UNPROVEN index ${p(u.index)}: ${p(u.reason)}`);
  lines.push(
    `index: ${ix.databases} index(es) proven against every version table` +
      (ix.built.length ? `; built ${ix.built.length} (${ix.builtRows} row(s))` : '') +
      `; ${total} row(s) repaired${total ? ` (${added} added, ${corrected} corrected, ${removed} removed)` : ''}` +
      (ix.stamped ? '; stamped verified' : '; not stamped (only part of the targets was read, or an index could not be proven)'),
  );
  return lines;
}

export function formatDrift(report: DriftReport): string {
  const lines: string[] = [];
  let clean = 0;
  for (const t of report.targets) {
    if (t.state === 'clean') {
      clean++;
      if (report.targets.length <= GROUP_ABOVE) lines.push(`CLEAN    ${p(t.target)}`);
      continue;
    }
    if (t.state === 'unchecked') {
      lines.push(`UNCHECKED ${p(t.target)}: no dataSource configured for this track`);
      continue;
    }
    if (t.state === 'error') {
      lines.push(`ERROR    ${p(t.target)}: ${p(t.error?.message)}`);
      continue;
    }
    lines.push(`DRIFT    ${p(t.target)}`);
    for (const c of t.changes) lines.push(`         ${p(c.message)}`);
  }
  for (const s of report.shapes) lines.push(`shape ${s.shape.slice(0, 8)} of ${s.database}: ${s.tenants} tenant(s), e.g. ${p(s.example)}`);
  const drifted = report.targets.filter((t) => t.state === 'drift' || t.state === 'error').length;
  lines.push(`drift: ${report.targets.length} target(s): ${clean} clean, ${drifted} drifted or failed; ${report.comparisons} entity comparison(s)`);
  return lines.join('\n');
}

export function formatCadence(report: CadenceReport): string {
  const lines = report.shared.map((s) => `shared table ${s.table}: ${s.mappedBy.map((m) => `${m.app} (${m.database}, ${m.track})`).join(', ')}`);
  if (report.baselineRecorded) {
    lines.push(
      `recorded the baseline in fleet.cadence.json (no cadence record yet): the migrations that exist now are history, not cadence problems (${report.baseline.map((b) => `${b.app} ${b.database} ${b.track} up to ${b.migration}`).join('; ') || 'none yet'}). Commit fleet.cadence.json.`,
    );
  }
  for (const problem of report.problems) lines.push(`FAIL (${problem.rule}) ${p(problem.message)}`);
  lines.push(`cadence-check: ${report.shared.length} shared table(s), ${report.steps} cadence step(s), ${report.problems.length} problem(s)`);
  return lines.join('\n');
}

/** A run's plan, grouped: one line per (database, track, version, action). */
export function formatPlan(plan: RunPlan): string {
  const lines = [`${plan.command} --dry-run: ${plan.targets.length} target(s), ${plan.changing} would change; nothing was changed`];
  for (const g of plan.groups) {
    const who =
      g.count === 1
        ? p(g.examples[0])
        : `${g.count} ${g.track === 'tenant' ? 'tenants' : 'targets'} of ${g.database} (${g.examples.slice(0, 3).map(p).join(', ')}${g.count > 3 ? ', ...' : ''})`;
    lines.push(`  ${who} at ${p(g.version ?? '(nothing applied)')}: ${p(g.action)}`);
  }
  for (const problem of plan.problems) lines.push(`  ${p(problem.target)}: not a target (${p(problem.message)})`);
  const risky = plan.riskySql ?? [];
  for (const r of risky) lines.push(`  ${r.severity === 'error' ? 'RISKY SQL' : 'warning'}: ${p(r.where)} [${r.code}]: ${p(r.message.split('. ')[0])}\n      ${p(r.statement)}`);
  if (risky.some((r) => r.severity === 'error'))
    lines.push('  migrate would stop before any target on the RISKY SQL above (rewrite it, or suppress it with a reason: docs/lint-rules.md)');
  return lines.join('\n');
}

/** A word in its state's colour (padding kept outside the colour codes' width). */
function paint(style: Style, text: string, state: string): string {
  const tone = toneOf(state);
  return tone ? style(tone, text) : text;
}
