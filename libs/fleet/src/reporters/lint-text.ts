/** `fleet lint` as text: each finding with its file and line, per track, then what to do. */
import type { LintReport } from '../commands/lint';
import { printable as p } from '../terminal-text';

export function formatLint(report: LintReport, workspaceRoot: string): string {
  const lines: string[] = [];
  for (const f of report.fixed)
    lines.push(
      `FIXED    ${relativeTo(workspaceRoot, f.file)}: removed ${f.removed} "public". qualifier(s) (its checksum changed: where it was already applied, accept it with stamp)`,
    );
  for (const w of report.dataSources ?? []) lines.push(`WARNING  ${w.app}/${w.database} [${w.option}]: ${w.message}`);
  for (const t of report.tracks) {
    const where = `${t.app}/${t.database} ${t.track ?? 'tenant'} track`;
    if (!t.checked) {
      lines.push(`NOT CHECKED ${where}: ${t.note}`);
      continue;
    }
    for (const f of t.findings) {
      const label = f.suppressed !== undefined ? 'SUPPRESSED' : f.severity === 'error' ? 'ERROR  ' : f.severity === 'warning' ? 'WARNING' : 'NOTE   ';
      const at = f.source ? ` (${p(f.source)}${f.line ? `:${f.line}` : ''})` : '';
      const message = f.suppressed !== undefined ? `${p(f.message.split('. ')[0])}; suppressed: ${p(f.suppressed)}` : p(f.message);
      lines.push(`${label}  ${p(f.migration)}${at} [${f.code ?? f.rule}]: ${message}${f.statement ? `\n           ${p(f.statement)}` : ''}`);
    }
    const errors = t.findings.filter((f) => f.severity === 'error').length;
    const suppressed = t.findings.filter((f) => f.suppressed !== undefined).length;
    lines.push(
      `${where}: ${t.migrations} migration(s) checked, ${errors} error(s)${suppressed ? `, ${suppressed} suppressed` : ''}` +
        `${t.extensions.length ? `; extensions installed in the shared schema before tenants: ${t.extensions.join(', ')}` : ''}`,
    );
  }
  const risky = report.tracks.some((t) => t.findings.some((f) => f.rule === 'risky-sql' && f.severity === 'error'));
  if (risky)
    lines.push(
      'Risky SQL: rewrite the statement as the message says, or, where it is safe, put `-- fleet-lint-disable-next-statement FLEET1xx: <why>` right before it ' +
        "(in the SQL, or as a // comment above the call in the migration's source). Rules: docs/lint-rules.md",
    );
  if (report.tracks.length === 0) lines.push('lint: no migrations to check');
  else lines.push(report.ok ? 'lint: no errors' : 'lint: errors found (migrate refuses them before they run)');
  return lines.join('\n');
}

function relativeTo(root: string, file: string): string {
  return file.startsWith(`${root}/`) ? file.slice(root.length + 1) : file;
}
