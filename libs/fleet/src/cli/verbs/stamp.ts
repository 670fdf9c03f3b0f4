import { APP, DRY_RUN, FAIL_FAST, OUTPUT, RUN, TARGETS, TO, TRACK, YES } from '../options';
import { defineVerb } from '../verb';

export default defineVerb({
  name: 'stamp',
  summary: 'Record migrations as applied up to --to WITHOUT running them (also accepts an edited checksum).',
  options: [
    ...APP,
    ...TARGETS,
    TRACK,
    ...RUN,
    ...OUTPUT,
    TO('Record the history as applied up to this migration (base: nothing applied).'),
    DRY_RUN,
    YES,
    { name: 'force', kind: 'boolean', description: 'Allow un-recording applied migrations (their down() does not run).' },
    FAIL_FAST,
  ],
  run: async (options, ctx) => (await import('../changing-verb')).runChangingVerb('stamp', options, ctx),
});
