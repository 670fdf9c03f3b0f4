/**
 * Before `migrate` touches any target: the risky-SQL findings of the migrations this run would
 * apply. Errors stop the run (RiskySqlError, naming each statement and how to suppress it);
 * warnings are printed as notices. Migrations already applied everywhere the run reaches are
 * history: their findings are `fleet lint`'s business, not a reason to refuse a deploy. Only when
 * some track has findings is the run planned here (one bulk read of the histories, as --dry-run).
 */
import { RiskySqlError } from '../errors';
import type { TargetCommand } from '../executor/execute-plan';
import { DIRECTIVE } from '../lint/suppressions';
import type { LintFinding } from '../lint/tenant-lint';
import type { TrackLint } from './lint-tracks';
import { planRun, RunPlan } from './plan-run';
import type { CommonOptions, FleetRuntime } from './runtime';

export interface PendingFinding {
  app: string;
  database: string;
  track: 'global' | 'tenant';
  finding: LintFinding;
}

/** The unsuppressed risky-SQL findings of migrations the run would apply somewhere. */
export async function pendingRiskyFindings(runtime: FleetRuntime, command: TargetCommand, options: CommonOptions, tracks: readonly TrackLint[]): Promise<PendingFinding[]> {
  const risky = tracks.flatMap((t) =>
    t.findings.filter((f) => f.rule === 'risky-sql' && f.severity !== 'info').map((finding) => ({ app: t.app, database: t.database, track: t.track, finding })),
  );
  if (risky.length === 0) return [];
  return riskyInPlan(await planRun(runtime, 'migrate', command, options), tracks);
}

/** The unsuppressed risky-SQL findings of migrations `plan` applies somewhere. */
export function riskyInPlan(plan: RunPlan, tracks: readonly TrackLint[]): PendingFinding[] {
  const risky = tracks.flatMap((t) =>
    t.findings.filter((f) => f.rule === 'risky-sql' && f.severity !== 'info').map((finding) => ({ app: t.app, database: t.database, track: t.track, finding })),
  );
  const pending = new Set<string>();
  for (const p of plan.targets) for (const s of p.steps) if (s.action === 'apply') pending.add(`${p.database}\u0000${p.track}\u0000${s.migration}`);
  return risky.filter((r) => pending.has(`${r.database}\u0000${r.track}\u0000${r.finding.migration}`));
}

/** Stops the run on errors (before any target); prints the warnings. */
export async function riskySqlGate(runtime: FleetRuntime, command: TargetCommand, options: CommonOptions, tracks: readonly TrackLint[]): Promise<void> {
  const pending = await pendingRiskyFindings(runtime, command, options, tracks);
  for (const p of pending.filter((x) => x.finding.severity === 'warning'))
    runtime.emit({ type: 'notice', message: `warning: ${describe(p)} [${p.finding.code}]: ${p.finding.message}` });
  const errors = pending.filter((p) => p.finding.severity === 'error');
  if (errors.length === 0) return;
  const codes = [...new Set(errors.map((e) => e.finding.code))];
  throw new RiskySqlError(
    `migrate stopped before any target: ${errors.length} statement(s) of pending migrations are risky on a live table:\n` +
      errors.map((e) => `  ${describe(e)} [${e.finding.code}]: ${e.finding.message}\n    ${e.finding.statement}`).join('\n') +
      `\nRewrite each as its message says, or, when it is safe where it runs, suppress it with a comment right before the statement (in the SQL, or above the call in the migration's source):\n` +
      `  -- ${DIRECTIVE} ${codes[0]}: <why it is safe here>\n` +
      'Rules and rewrites: docs/lint-rules.md; `fleet lint` lists every finding.',
    {
      findings: errors.map((e) => ({
        app: e.app,
        database: e.database,
        track: e.track,
        migration: e.finding.migration,
        code: e.finding.code,
        statement: e.finding.statement,
        source: e.finding.source ?? null,
        line: e.finding.line ?? null,
      })),
    },
  );
}

/** For the dry-run's plan: one line's worth per finding. */
export function describeRisky(p: PendingFinding): { where: string; code: string; severity: string; message: string; statement: string } {
  return { where: describe(p), code: p.finding.code ?? '', severity: p.finding.severity, message: p.finding.message, statement: p.finding.statement };
}

function describe(p: PendingFinding): string {
  const where = p.finding.source ? ` (${p.finding.source}${p.finding.line ? `:${p.finding.line}` : ''})` : '';
  return `${p.app}/${p.database} ${p.track} track, ${p.finding.migration}${where}`;
}
