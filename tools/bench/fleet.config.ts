import type { FleetConfig } from '@fleet/core';

/**
 * The benchmark workload (../shared/WORKLOAD.md) as a Fleet app: one database whose tenant schemas
 * tenant_0001 ... exist and are empty; ten migrations per tenant in one transaction (`all`).
 * The global track has no migrations, so nothing is created in `public`.
 */
const config: FleetConfig = {
  app: 'bench',
  databases: {
    main: {
      urlEnv: 'BENCH_DATABASE_URL',
      migrations: './global',
      transactionMode: 'all',
      tenants: {
        strategy: 'schema',
        schemaTemplate: 'tenant_{id}',
        migrations: './workload',
        discover: { sql: `SELECT substr(nspname, 8) AS id FROM pg_catalog.pg_namespace WHERE nspname LIKE 'tenant\\_%' ORDER BY 1` },
        maxSchemasPerDatabase: 100_000,
      },
    },
  },
};

// A type-only import: the compiled contender loads this file without loading @fleet/core a second time.
export default config;
