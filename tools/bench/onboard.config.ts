import { defineFleetConfig } from '@fleet/core';

/** Onboarding benchmark: the workload as the tenant track, with a registry for `tenant create`. */
export default defineFleetConfig({
  app: 'bench-onboard',
  databases: {
    main: {
      urlEnv: 'BENCH_DATABASE_URL',
      migrations: './onboard-global',
      transactionMode: 'all',
      tenants: {
        strategy: 'schema',
        migrations: './workload',
        discover: { sql: 'SELECT id FROM tenants ORDER BY id' },
        registry: { table: 'tenants' },
      },
    },
  },
});
