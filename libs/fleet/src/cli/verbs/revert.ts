import { APP, DRY_RUN, FAIL_FAST, OUTPUT, RUN, TARGETS, TO, TRACK, YES } from '../options';
import { defineVerb } from '../verb';

export default defineVerb({
  name: 'revert',
  summary: 'Run down() of the newest migration of each target (--steps N, or --to <migration> | base).',
  options: [
    ...APP,
    ...TARGETS,
    TRACK,
    ...RUN,
    ...OUTPUT,
    { name: 'steps', kind: 'integer', value: 'n', description: 'How many migrations to revert per target (default 1); refused over targets at different versions.' },
    TO('Revert everything applied after this migration (base: everything).'),
    DRY_RUN,
    YES,
    FAIL_FAST,
  ],
  run: async (options, ctx) => (await import('../changing-verb')).runChangingVerb('revert', options, ctx),
});
