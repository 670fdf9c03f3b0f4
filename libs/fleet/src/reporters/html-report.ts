import type { StatusReport } from '../commands/status';
import type { RunJournal } from '../journal/run-journal';

/** One cell of the fleet view. */
export interface FleetCell {
  target: string;
  label: string;
  /** Colour class: at-head | pending | diverged | failed | changed | unchanged | blocked | not-run. */
  state: string;
  group: string;
  detail: string;
}

export interface FleetView {
  title: string;
  subtitle: string;
  cells: FleetCell[];
  failures: Array<{ target: string; message: string }>;
}

export function statusView(report: StatusReport, now = new Date()): FleetView {
  return {
    title: `Fleet status: ${report.app}`,
    subtitle: `${report.summary.targets} targets: ${report.summary['at-head']} at head, ${report.summary.pending} pending, ${report.summary.diverged} diverged, ${report.summary.failed} failed${report.summary.missing ? `, ${report.summary.missing} missing` : ''}. Read ${now.toISOString()}.`,
    cells: report.targets.map((t) => ({
      target: t.target,
      label: t.tenant ?? t.target,
      state: t.state,
      group: `${t.app}/${t.database} ${t.tenant === null ? 'global' : 'tenants'} at ${t.version ?? '(none)'}`,
      detail: `${t.target}: ${t.state}, version ${t.version ?? '(none)'}${t.pending.length ? `, ${t.pending.length} pending` : ''}`,
    })),
    failures: report.targets
      .filter((t) => t.state === 'failed' || t.state === 'diverged' || t.state === 'missing')
      .map((t) => ({ target: t.target, message: t.error ? String(t.error.message) : t.findings.map((f) => f.message).join(' ') })),
  };
}

export function journalView(journal: RunJournal): FleetView {
  const results = journal.results ?? [];
  return {
    title: `Fleet run: ${journal.app} ${journal.command}`,
    subtitle:
      journal.state === 'finished'
        ? `Run ${journal.id}: ${journal.summary?.targets} targets, ${journal.summary?.changed} changed, ${journal.summary?.unchanged} unchanged, ${journal.summary?.failed} failed, ${journal.summary?.blocked} blocked, ${journal.summary?.notRun} not run.`
        : `Run ${journal.id} did not finish (started ${journal.startedAt}); showing the snapshot taken before it.`,
    cells:
      journal.state === 'finished'
        ? results.map((r) => ({
            target: r.target,
            label: r.tenant ?? r.target,
            state: r.outcome,
            group: `${r.app}/${r.database} ${r.tenant === null ? 'global' : 'tenants'} now at ${r.versionAfter ?? '(none)'}`,
            detail: `${r.target}: ${r.outcome}, ${r.versionBefore ?? '(none)'} -> ${r.versionAfter ?? '(none)'}`,
          }))
        : journal.before.map((b) => ({
            target: b.target,
            label: b.target,
            state: b.state,
            group: `before the run at ${b.version ?? '(none)'}`,
            detail: `${b.target}: ${b.state}`,
          })),
    failures: results
      .filter((r) => r.outcome === 'failed' || r.outcome === 'blocked' || r.outcome === 'not-run')
      .map((r) => ({
        target: r.target,
        message: `${r.failed?.migration ? `${r.failed.migration}: ` : ''}${String(r.failed?.error.message ?? r.findings.map((f) => f.message).join(' '))}`,
      })),
  };
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * A self-contained page (no network assets): every target a cell coloured by state, grouped by
 * version, failed targets with their error, and a filter by tenant name.
 */
export function renderFleetHtml(view: FleetView): string {
  const groups = new Map<string, FleetCell[]>();
  for (const c of view.cells) groups.set(c.group, [...(groups.get(c.group) ?? []), c]);
  const sections = [...groups.entries()]
    .sort((a, b) => b[1].length - a[1].length)
    .map(
      ([group, cells]) =>
        `<section class="group"><h2>${esc(group)} <span class="count">${cells.length}</span></h2><div class="cells">${cells
          .map((c) => `<span class="cell ${esc(c.state)}" data-name="${esc(c.label)}" title="${esc(c.detail)}">${esc(c.label)}</span>`)
          .join('')}</div></section>`,
    )
    .join('\n');
  const failures = view.failures.length
    ? `<section id="failures"><h2>Failures <span class="count">${view.failures.length}</span></h2><table><thead><tr><th>target</th><th>error</th></tr></thead><tbody>${view.failures
        .map((f) => `<tr data-name="${esc(f.target)}"><td>${esc(f.target)}</td><td>${esc(f.message)}</td></tr>`)
        .join('')}</tbody></table></section>`
    : '';
  const states = [...new Set(view.cells.map((c) => c.state))].sort();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(view.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:16px 0 6px}.count{color:#666;font-weight:normal}
#filter{padding:6px;width:280px;margin:12px 0}
.cells{display:flex;flex-wrap:wrap;gap:3px}
.cell{display:inline-block;min-width:14px;padding:1px 4px;border-radius:3px;font-size:11px;color:#fff;cursor:default}
.at-head,.changed,.unchanged{background:#2e7d32}.pending{background:#f9a825;color:#222}
.diverged,.blocked,.missing{background:#6a1b9a}.failed{background:#c62828}.not-run{background:#9e9e9e}
.legend span{margin-right:8px}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
.hidden{display:none}
</style></head>
<body>
<h1>${esc(view.title)}</h1>
<p id="summary">${esc(view.subtitle)}</p>
<p class="legend">${states.map((s) => `<span class="cell ${esc(s)}">${esc(s)}</span>`).join('')}</p>
<input id="filter" type="search" placeholder="Filter by tenant name" aria-label="Filter by tenant name">
<span id="shown"></span>
${failures}
${sections}
<script>
(function () {
  var input = document.getElementById('filter');
  var shown = document.getElementById('shown');
  function apply() {
    var q = input.value.trim().toLowerCase();
    var cells = document.querySelectorAll('.cells .cell');
    var visible = 0;
    cells.forEach(function (c) {
      var hit = !q || c.getAttribute('data-name').toLowerCase().indexOf(q) >= 0;
      c.classList.toggle('hidden', !hit);
      if (hit) visible++;
    });
    document.querySelectorAll('#failures tr[data-name]').forEach(function (r) {
      r.classList.toggle('hidden', !!q && r.getAttribute('data-name').toLowerCase().indexOf(q) < 0);
    });
    document.querySelectorAll('section.group').forEach(function (s) {
      s.classList.toggle('hidden', s.querySelectorAll('.cell:not(.hidden)').length === 0);
    });
    shown.textContent = visible + ' of ' + cells.length + ' targets shown';
  }
  input.addEventListener('input', apply);
  apply();
})();
</script>
</body></html>
`;
}
