import { defineFleetConfig } from '@fleet/core';

/**
 * app2 owns the analytics database, sharded: the same migrations run on app2_analytics_shard_0
 * and app2_analytics_shard_1 (next to the server APP2_ANALYTICS_DATABASE_URL or PGHOST points
 * at, or the embedded one). APP2_ANALYTICS_SHARD_URLS (comma-separated URLs) lists shards anywhere.
 */
export default defineFleetConfig({
  app: 'app2',
  databases: {
    analytics: {
      database: 'app2_analytics',
      createDatabase: true,
      shards: 2,
      dataSource: './src/databases/analytics/data-source.ts',
      migrations: './src/databases/analytics/migrations',
    },
  },
});
