import { defineFleetConfig } from '@fleet/core';

/**
 * app1 owns two databases, each with its own migrations and version table:
 * - users: accounts and projects;
 * - audit: append-only audit events.
 * Connections: APP1_USERS_DATABASE_URL / APP1_AUDIT_DATABASE_URL, else PGHOST..., else embedded.
 */
export default defineFleetConfig({
  app: 'app1',
  databases: {
    users: {
      database: 'app1_users',
      createDatabase: true,
      dataSource: './src/databases/users/data-source.ts',
      migrations: './src/databases/users/migrations',
    },
    audit: {
      database: 'app1_audit',
      createDatabase: true,
      dataSource: './src/databases/audit/data-source.ts',
      migrations: './src/databases/audit/migrations',
    },
  },
});
