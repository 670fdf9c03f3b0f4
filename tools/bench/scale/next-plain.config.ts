import type { FleetConfig } from '@fleet/core';

/**
 * The scale bench (tools/bench/scale.bench.ts) as a Fleet app, stage "next-plain": one database of tenant
 * schemas tenant_000001 ...; the tenant track's migrations are ./next-plain
 * (revision 0002 without a default: `--next plain`). No global migrations.
 */
const config: FleetConfig = {
  app: 'scale',
  databases: {
    main: {
      urlEnv: 'BENCH_DATABASE_URL',
      migrations: '../global',
      tenants: {
        strategy: 'schema',
        schemaTemplate: 'tenant_{id}',
        migrations: './next-plain',
        discover: { sql: `SELECT substr(nspname, 8) AS id FROM pg_catalog.pg_namespace WHERE nspname LIKE 'tenant\\_%' ORDER BY 1` },
        maxSchemasPerDatabase: 200_000,
      },
    },
  },
};

export default config;
