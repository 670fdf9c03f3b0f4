import { APP, DRY_RUN, FAIL_FAST, OUTPUT, RUN, TARGETS, TO } from '../options';
import { defineVerb } from '../verb';

export default defineVerb({
  name: 'migrate',
  summary: 'Apply pending migrations to every database of the app (and every tenant, every shard).',
  options: [
    ...APP,
    ...TARGETS,
    ...RUN,
    ...OUTPUT,
    TO('Migrate up to and including this migration (default: head).'),
    DRY_RUN,
    FAIL_FAST,
    { name: 'allowOutOfOrder', kind: 'boolean', description: 'Apply pending migrations older than applied ones.' },
    { name: 'createMissing', kind: 'boolean', description: "Re-create, empty, a registered tenant's schema or database that was migrated before and is gone." },
    { name: 'track', kind: 'string', choices: ['global'], value: 'global', description: 'Only the global tracks.' },
    { name: 'wave', kind: 'string', value: 'name', description: "Staged rollout: only this wave's tenants (after the global tracks)." },
    {
      name: 'queue',
      kind: 'boolean',
      description: 'Queue one job per target for `fleet worker` processes (anywhere, any number) and report as a local run does.',
    },
  ],
  run: async (options, ctx) => (await import('../changing-verb')).runChangingVerb('migrate', options, ctx),
});
