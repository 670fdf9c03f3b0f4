import { s } from './schema';

/**
 * A tenant track's `pool`: keep `size` spare tenant schemas (schema strategy) or spare tenant
 * databases (database strategy: needs createDatabase) migrated to head, so that `createTenant()`
 * renames one instead of running the whole tenant track (tenancy/spare-pool.ts,
 * tenancy/spare-kinds.ts). Default: no pool (size 0). `migrate` keeps them at head and refills.
 * `refill`: who refills after a take: `app` (default: `createTenant()`, in the background of the
 * app) or `worker` (queue mode: `fleet worker` keeps the pool full under the queue's connection
 * budget; the app never migrates).
 */
export const poolSchema = s.object(
  {
    size: s.number('a whole number from 0 to 1000', (v) => Number.isInteger(v) && v >= 0 && v <= 1000),
    refill: s.optional(s.literal(['app', 'worker'] as const, 'one of "app", "worker"')),
  },
  '{ size, refill? }',
);
