import { defineFleetConfig } from '@fleet/core';

/** app2 owns the analytics database. Connection: APP2_ANALYTICS_DATABASE_URL, else PGHOST..., else embedded. */
export default defineFleetConfig({
  app: 'app2',
  databases: {
    analytics: {
      database: 'app2_analytics',
      createDatabase: true,
      dataSource: './src/databases/analytics/data-source.ts',
      migrations: './src/databases/analytics/migrations',
    },
  },
});
