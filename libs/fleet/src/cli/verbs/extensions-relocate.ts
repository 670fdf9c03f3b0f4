import { APP, DRY_RUN, OUTPUT, YES } from '../options';
import { defineVerb, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from '../verb';

export default defineVerb({
  name: 'extensions-relocate',
  summary:
    'Move extensions the targets cannot see (in public, in a tenant schema) into the shared schema: prints the ALTER EXTENSION ... SET SCHEMA statements, runs them once confirmed.',
  options: [
    ...APP,
    ...OUTPUT,
    { ...DRY_RUN, description: 'Print the statements for each database and change nothing.' },
    { ...YES, description: 'Run the statements without asking (needed off a terminal).' },
  ],
  async run(options, ctx) {
    const { ConfigError } = await import('../../errors');
    const { formatRelocation, relocationSummary } = await import('../../extensions/relocate');
    const { relocateExtensions } = await import('../../commands/relocate-extensions');
    const outcome = (report: Awaited<ReturnType<typeof relocateExtensions>>) => {
      const { statements, ok } = relocationSummary(report);
      return { doc: { command: 'extensions-relocate', ok, statements, ...report }, text: formatRelocation(report), exitCode: ok ? EXIT_OK : EXIT_FAILED };
    };
    const plan = await relocateExtensions({ ...options, apply: false });
    const { statements } = relocationSummary(plan);
    if (options.dryRun || statements === 0) return outcome(plan);
    if (!options.yes) {
      ctx.io.stderr(`${formatRelocation(plan)}\n`);
      if (!ctx.io.confirm) {
        throw new ConfigError(`nothing was changed: pass --yes to run the ${statements} statement(s) above (nothing is asked off a terminal).`);
      }
      if (!(await ctx.io.confirm(`Run these ${statements} statement(s)? [y/N] `))) {
        ctx.io.stderr('Nothing was changed.\n');
        return { doc: { command: 'extensions-relocate', ok: false, declined: true }, text: '', exitCode: EXIT_USAGE };
      }
    }
    return outcome(await relocateExtensions({ ...options, apply: true }));
  },
});
