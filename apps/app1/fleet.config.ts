import { defineFleetConfig } from '@fleet/core';

/**
 * app1 owns two databases, each with its own migrations and version table:
 * - users: schema-per-tenant. The global track (public schema) holds the tenant registry; the
 *   tenant track runs in every tenant schema `tenant_<id>`, each with its own version table.
 * - audit: one schema of append-only audit events.
 * Connections: APP1_USERS_DATABASE_URL / APP1_AUDIT_DATABASE_URL, else PGHOST..., else embedded.
 */
export default defineFleetConfig({
  app: 'app1',
  databases: {
    users: {
      database: 'app1_users',
      createDatabase: true,
      dataSource: './src/databases/users/global.data-source.ts',
      migrations: './src/databases/users/migrations/global',
      tenants: {
        strategy: 'schema',
        schemaTemplate: 'tenant_{id}',
        migrations: './src/databases/users/migrations/tenant',
        dataSource: './src/databases/users/tenant.data-source.ts',
        discover: { sql: 'SELECT id, plan, region FROM public.tenants ORDER BY id' },
        registry: { table: 'tenants' },
      },
    },
    audit: {
      database: 'app1_audit',
      createDatabase: true,
      dataSource: './src/databases/audit/data-source.ts',
      migrations: './src/databases/audit/migrations',
    },
  },
});
