/**
 * migrate, revert and stamp share their shell: a dry run prints the plan; revert and stamp that
 * would change several targets print it and ask first (or need --yes off a terminal).
 * The engine is imported when a verb runs, never when `fleet --help` lists the verbs.
 */
import { ConfigError } from '../errors';
import { CommandOptions, EXIT_FAILED, EXIT_OK, EXIT_USAGE, VerbContext, VerbOutcome } from './verb';

export async function runChangingVerb(verb: 'migrate' | 'revert' | 'stamp', options: CommandOptions, ctx: VerbContext): Promise<VerbOutcome> {
  const { dryRun, migrate, revert, stamp } = await import('../commands/run-commands');
  const { formatPlan, formatRunReport } = await import('../reporters/text-format');
  const runOptions = { ...options, to: options.to as string, journalDir: undefined };
  if (options.dryRun) {
    const plan = await dryRun(verb, runOptions);
    return { doc: { ...plan, dryRun: true }, text: formatPlan(plan), exitCode: plan.targets.some((t) => t.blocked) ? EXIT_FAILED : EXIT_OK };
  }
  if (verb !== 'migrate' && !options.yes) {
    const plan = await dryRun(verb, runOptions);
    if (plan.changing > 1) {
      ctx.io.stderr(`${formatPlan(plan)}\n`);
      if (!ctx.io.confirm) {
        throw new ConfigError(`fleet ${verb} would change ${plan.changing} targets (plan above): pass --yes to go ahead (nothing is asked off a terminal).`);
      }
      if (!(await ctx.io.confirm(`${verb === 'revert' ? 'Revert' : 'Stamp'} ${plan.changing} targets as planned above? [y/N] `))) {
        ctx.io.stderr('Nothing was changed.\n');
        return { doc: { command: verb, ok: false, declined: true }, text: '', exitCode: EXIT_USAGE };
      }
    }
  }
  const run = verb === 'migrate' ? migrate : verb === 'revert' ? revert : stamp;
  const report = await run({ ...runOptions, journalDir: ctx.journalDir });
  if (verb === 'stamp' && !options.json) ctx.io.stderr('stamp: the version table was rewritten WITHOUT running any migration.\n');
  return { doc: report, text: formatRunReport(report, ctx.style), exitCode: report.ok ? EXIT_OK : EXIT_FAILED };
}
