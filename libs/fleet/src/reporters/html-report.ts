import type { StatusReport } from '../commands/status';
import type { RunJournal } from '../journal/run-journal';

/** What each state means, for the page's legend. */
const LEGEND: Record<string, string> = {
  'at-head': 'every migration of its track applied',
  pending: 'migrations in the code not yet applied (migrate applies them)',
  diverged: 'its history does not match the code (an edited, missing or out-of-order migration): nothing runs until fixed',
  failed: 'its history could not be read, or a non-transactional migration was interrupted',
  missing: 'a registered tenant whose schema or database is gone',
  changed: 'this run applied, reverted or recorded something',
  unchanged: 'this run found nothing to do',
  blocked: 'this run refused to touch it (see its finding)',
  'not-run': 'this run did not reach it',
};

/** A group of targets in the same place: database, track, state and version. */
export interface FleetGroup {
  title: string;
  state: string;
  /** Pending migrations of the group (status), or what the run did. */
  note: string;
  /** Target labels (tenant ids, or target ids). */
  names: string[];
  /** Per label, a tooltip line. */
  details: string[];
}

export interface FleetView {
  title: string;
  subtitle: string;
  /** One row per database and track: its head and how many targets in each state. */
  databases: Array<{ database: string; track: string; head: string | null; counts: Record<string, number> }>;
  groups: FleetGroup[];
  failures: Array<{ target: string; message: string }>;
  /** Staged rollout: one row per wave, its state (runs) and its tenants by state or outcome. */
  waves?: Array<{ name: string; state?: string; tenants: number; counts: Record<string, number> }>;
}

/** Above this many targets, a group is drawn as a count that expands on demand. */
export const EXPAND_ABOVE = 200;

function grouped<T>(
  items: readonly T[],
  keyOf: (t: T) => string,
  make: (first: T) => Omit<FleetGroup, 'names' | 'details'>,
  label: (t: T) => string,
  detail: (t: T) => string,
): FleetGroup[] {
  const groups = new Map<string, FleetGroup>();
  for (const item of items) {
    const key = keyOf(item);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ...make(item), names: [], details: [] }));
    g.names.push(label(item));
    g.details.push(detail(item));
  }
  return [...groups.values()].sort((a, b) => b.names.length - a.names.length);
}

function summaries(rows: ReadonlyArray<{ database: string; track: string; head: string | null; state: string }>): FleetView['databases'] {
  const out = new Map<string, FleetView['databases'][number]>();
  for (const r of rows) {
    const key = `${r.database}\u0000${r.track}`;
    const entry = out.get(key) ?? { database: r.database, track: r.track, head: r.head, counts: {} };
    entry.counts[r.state] = (entry.counts[r.state] ?? 0) + 1;
    out.set(key, entry);
  }
  return [...out.values()];
}

export function statusView(report: StatusReport, now = new Date()): FleetView {
  const track = (t: { tenant: string | null }) => (t.tenant === null ? 'global' : 'tenants');
  return {
    title: `Fleet status: ${report.app}`,
    subtitle:
      `${report.summary.targets} targets: ${report.summary['at-head']} at head, ${report.summary.pending} pending, ${report.summary.diverged} diverged, ` +
      `${report.summary.failed} failed${report.summary.missing ? `, ${report.summary.missing} missing` : ''}. Read ${now.toISOString()}.`,
    databases: summaries(report.targets.map((t) => ({ database: `${t.app}/${t.database}`, track: track(t), head: t.head, state: t.state }))),
    groups: grouped(
      report.targets,
      (t) => `${t.app}/${t.database}\u0000${track(t)}\u0000${t.state}\u0000${t.version}\u0000${t.pending.join(',')}`,
      (t) => ({
        title: `${t.app}/${t.database} ${track(t)} ${t.state} at ${t.version ?? '(none)'}`,
        state: t.state,
        note: t.pending.length ? `pending: ${t.pending.join(', ')}` : t.state === 'at-head' ? `head: ${t.head ?? '(no migrations)'}` : '',
      }),
      (t) => t.tenant ?? t.target,
      (t) => `${t.target}: ${t.state}, version ${t.version ?? '(none)'}${t.pending.length ? `, ${t.pending.length} pending` : ''}`,
    ),
    waves: report.waves?.map((w) => ({
      name: w.name,
      tenants: w.tenants,
      counts: { 'at-head': w['at-head'], pending: w.pending, failed: w.failed, diverged: w.diverged, missing: w.missing },
    })),
    failures: report.targets
      .filter((t) => t.state === 'failed' || t.state === 'diverged' || t.state === 'missing')
      .map((t) => ({ target: t.target, message: t.error ? String(t.error.message) : t.note && t.state === 'missing' ? t.note : t.findings.map((f) => f.message).join(' ') })),
  };
}

export function journalView(journal: RunJournal): FleetView {
  return {
    ...journalBody(journal),
    waves: journal.waves?.map((w) => ({
      name: w.name,
      state: w.state,
      tenants: w.tenants.length,
      counts: { changed: w.changed, unchanged: w.unchanged, failed: w.failed, 'not-run': w.notRun },
    })),
  };
}

function journalBody(journal: RunJournal): FleetView {
  const results = journal.results ?? [];
  const finished = journal.state !== 'running';
  const track = (r: { tenant: string | null }) => (r.tenant === null ? 'global' : 'tenants');
  return {
    title: `Fleet run: ${journal.app} ${journal.command}`,
    subtitle: finished
      ? `Run ${journal.id}${journal.state === 'interrupted' ? ' (interrupted)' : ''}: ${journal.summary?.targets} targets, ${journal.summary?.changed} changed, ${journal.summary?.unchanged} unchanged, ` +
        `${journal.summary?.failed} failed, ${journal.summary?.blocked} blocked, ${journal.summary?.notRun} not run.`
      : `Run ${journal.id} did not finish (started ${journal.startedAt}); showing the snapshot taken before it.`,
    databases: finished
      ? summaries(results.map((r) => ({ database: `${r.app}/${r.database}`, track: track(r), head: null, state: r.outcome })))
      : summaries(
          journal.before.map((b) => ({
            database: b.target.split('/').slice(0, 2).join('/'),
            track: b.target.split('/').length > 2 ? 'tenants' : 'global',
            head: null,
            state: b.state,
          })),
        ),
    groups: finished
      ? grouped(
          results,
          (r) => `${r.app}/${r.database}\u0000${track(r)}\u0000${r.outcome}\u0000${r.versionAfter}`,
          (r) => ({
            title: `${r.app}/${r.database} ${track(r)} ${r.outcome}, now at ${r.versionAfter ?? '(none)'}`,
            state: r.outcome,
            note: r.applied.length ? `applied: ${r.applied.join(', ')}` : r.reverted.length ? `reverted: ${r.reverted.join(', ')}` : '',
          }),
          (r) => r.tenant ?? r.target,
          (r) => `${r.target}: ${r.outcome}, ${r.versionBefore ?? '(none)'} -> ${r.versionAfter ?? '(none)'}`,
        )
      : grouped(
          journal.before,
          (b) => `${b.state}\u0000${b.version}`,
          (b) => ({ title: `before the run: ${b.state} at ${b.version ?? '(none)'}`, state: b.state, note: '' }),
          (b) => b.target,
          (b) => `${b.target}: ${b.state}`,
        ),
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

/** JSON inside a <script>: nothing in it can close the script element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/**
 * A self-contained page (no network assets): a summary per database and track, then the targets
 * in groups (database, track, state, version, with the head or the pending migrations), each
 * target a cell coloured by state; a legend; filters by name and by state; the failures with their
 * errors. Groups larger than EXPAND_ABOVE are drawn as a count and expand on demand, so the page
 * stays usable at 100,000 tenants.
 */
export function renderFleetHtml(view: FleetView): string {
  const states = [...new Set(view.groups.map((g) => g.state))].sort();
  const allStates = [...new Set([...states, ...view.databases.flatMap((d) => Object.keys(d.counts))])].sort();
  const summary = `<table id="databases"><thead><tr><th>database</th><th>track</th><th>head</th>${allStates.map((s) => `<th><span class="cell ${esc(s)}">${esc(s)}</span></th>`).join('')}</tr></thead><tbody>${view.databases
    .map(
      (d) =>
        `<tr><td>${esc(d.database)}</td><td>${esc(d.track)}</td><td>${esc(d.head ?? '')}</td>${allStates.map((s) => `<td class="num">${d.counts[s] ?? ''}</td>`).join('')}</tr>`,
    )
    .join('')}</tbody></table>`;
  const waveStates = [...new Set((view.waves ?? []).flatMap((w) => Object.keys(w.counts)))];
  const waves = view.waves?.length
    ? `<table id="waves"><thead><tr><th>wave</th>${view.waves.some((w) => w.state) ? '<th>state</th>' : ''}<th>tenants</th>${waveStates.map((s) => `<th><span class="cell ${esc(s)}">${esc(s)}</span></th>`).join('')}</tr></thead><tbody>${view.waves
        .map(
          (w) =>
            `<tr><td>${esc(w.name)}</td>${w.state ? `<td>${esc(w.state)}</td>` : ''}<td class="num">${w.tenants}</td>${waveStates.map((s) => `<td class="num">${w.counts[s] || ''}</td>`).join('')}</tr>`,
        )
        .join('')}</tbody></table>`
    : '';
  const failures = view.failures.length
    ? `<section id="failures"><h2>Failures <span class="count">${view.failures.length}</span></h2><table><thead><tr><th>target</th><th>error</th></tr></thead><tbody>${view.failures
        .slice(0, 1000)
        .map((f) => `<tr data-name="${esc(f.target)}"><td>${esc(f.target)}</td><td>${esc(f.message)}</td></tr>`)
        .join('')}</tbody></table>${view.failures.length > 1000 ? `<p>... and ${view.failures.length - 1000} more</p>` : ''}</section>`
    : '';
  const legend = states.map((s) => `<span class="entry"><span class="cell ${esc(s)}">${esc(s)}</span> ${esc(LEGEND[s] ?? '')}</span>`).join('');
  const sections = view.groups
    .map(
      (g, i) =>
        `<section class="group" data-state="${esc(g.state)}" data-index="${i}"><h2>${esc(g.title)} <span class="count">${g.names.length}</span></h2>` +
        `${g.note ? `<p class="note">${esc(g.note)}</p>` : ''}<div class="cells"></div>` +
        `${g.names.length > EXPAND_ABOVE ? `<button class="expand" data-index="${i}">show all ${g.names.length}</button>` : ''}</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(view.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:16px 0 4px}.count{color:#666;font-weight:normal}.note{margin:0 0 6px;color:#555}
#filter{padding:6px;width:280px;margin:12px 8px 12px 0}#state{padding:6px}
.cells{display:flex;flex-wrap:wrap;gap:3px}
.cell{display:inline-block;min-width:14px;padding:1px 4px;border-radius:3px;font-size:11px;color:#fff;cursor:default}
.at-head,.changed{background:#2e7d32}.unchanged{background:#a5d6a7;color:#222}.pending{background:#f9a825;color:#222}
.diverged,.blocked{background:#6a1b9a}.missing{background:#ad1457}.failed{background:#c62828}.not-run{background:#9e9e9e}
.legend .entry{display:inline-block;margin:0 14px 4px 0}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}.num{text-align:right}
.hidden{display:none}button.expand{margin-top:4px}
</style></head>
<body>
<h1>${esc(view.title)}</h1>
<p id="summary">${esc(view.subtitle)}</p>
${summary}
${waves}
<p class="legend">${legend}</p>
<input id="filter" type="search" placeholder="Filter by tenant name" aria-label="Filter by tenant name">
<select id="state" aria-label="Filter by state"><option value="">every state</option>${states.map((s) => `<option value="${esc(s)}">${esc(s)}</option>`).join('')}</select>
<span id="shown"></span>
${failures}
${sections}
<script id="fleet-data" type="application/json">${scriptJson(view.groups.map((g) => ({ n: g.names, d: g.details, s: g.state })))}</script>
<script>
(function () {
  var groups = JSON.parse(document.getElementById('fleet-data').textContent);
  var LIMIT = ${EXPAND_ABOVE};
  var expanded = {};
  var input = document.getElementById('filter');
  var stateSelect = document.getElementById('state');
  var shown = document.getElementById('shown');
  function cell(g, i) {
    var span = document.createElement('span');
    span.className = 'cell ' + g.s;
    span.textContent = g.n[i];
    span.title = g.d[i];
    return span;
  }
  function apply() {
    var q = input.value.trim().toLowerCase();
    var st = stateSelect.value;
    var total = 0, visible = 0;
    document.querySelectorAll('section.group').forEach(function (section) {
      var index = Number(section.getAttribute('data-index'));
      var g = groups[index];
      total += g.n.length;
      var matches = [];
      if (!st || g.s === st) for (var i = 0; i < g.n.length; i++) if (!q || g.n[i].toLowerCase().indexOf(q) >= 0) matches.push(i);
      visible += matches.length;
      section.classList.toggle('hidden', matches.length === 0);
      var box = section.querySelector('.cells');
      box.textContent = '';
      var limit = expanded[index] ? matches.length : Math.min(matches.length, LIMIT);
      var frag = document.createDocumentFragment();
      for (var k = 0; k < limit; k++) frag.appendChild(cell(g, matches[k]));
      box.appendChild(frag);
      var button = section.querySelector('button.expand');
      if (button) button.classList.toggle('hidden', expanded[index] || matches.length <= LIMIT);
      if (button) button.textContent = 'show all ' + matches.length;
    });
    document.querySelectorAll('#failures tr[data-name]').forEach(function (r) {
      r.classList.toggle('hidden', !!q && r.getAttribute('data-name').toLowerCase().indexOf(q) < 0);
    });
    shown.textContent = visible + ' of ' + total + ' targets shown';
  }
  document.querySelectorAll('button.expand').forEach(function (b) {
    b.addEventListener('click', function () { expanded[b.getAttribute('data-index')] = true; apply(); });
  });
  input.addEventListener('input', apply);
  stateSelect.addEventListener('change', apply);
  apply();
})();
</script>
</body></html>
`;
}
