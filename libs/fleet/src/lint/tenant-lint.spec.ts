import { lintStatements, removePublicQualifiers } from './tenant-lint';

const ctx = { targetSchema: 'tenant_scratch', sharedSchemas: ['extensions'] };
const rules = async (sql: string, extra = {}) => (await lintStatements('M1', [sql], { ...ctx, ...extra })).map((f) => `${f.severity}:${f.rule}`);

describe('tenant lint (PostgreSQL parser, no database)', () => {
  it('flags what migration:generate writes: "public"-qualified enum types, indexes, tables and functions', async () => {
    expect(await rules(`CREATE TYPE "public"."orders_status_enum" AS ENUM('new', 'paid')`)).toEqual(['error:schema-qualified']);
    expect(await rules(`DROP INDEX "public"."IDX_775c9f06fc27ae3ff8fb26f2c4"`)).toEqual(['error:schema-qualified']);
    expect(await rules(`ALTER TYPE "public"."orders_status_enum" RENAME TO "orders_status_enum_old"`)).toEqual(['error:schema-qualified']);
    expect(await rules(`CREATE TABLE "o" ("s" "public"."e" NOT NULL, "id" uuid DEFAULT public.uuid_generate_v4())`)).toEqual(['error:schema-qualified']);
    expect(await rules(`ALTER TABLE "public"."orders" ADD "x" int`)).toEqual(['error:schema-qualified']);
    expect(await rules(`INSERT INTO billing.invoices (id) VALUES (1)`)).toEqual(['error:other-schema']);
  });

  it('accepts unqualified names, the target schema, shared and system schemas, and a column comment', async () => {
    for (const sql of [
      `CREATE TABLE "orders" ("id" uuid NOT NULL DEFAULT uuid_generate_v4(), "customerId" uuid REFERENCES "customers"("id"))`,
      `CREATE TYPE "tenant_scratch"."apps_status_enum" AS ENUM('a')`,
      `SELECT extensions.gen_random_uuid(), pg_catalog.now()`,
      `CREATE INDEX "IDX_1" ON "orders" ("status")`,
      `COMMENT ON COLUMN "orders"."status" IS 'state'`,
      `SELECT * FROM information_schema.columns WHERE table_schema = current_schema()`,
    ]) {
      expect(await rules(sql)).toEqual([]);
    }
  });

  it('refuses session changes: SET search_path, set_config, SET ROLE', async () => {
    expect(await rules('SET search_path TO tenant_x')).toEqual(['error:set-search-path']);
    expect(await rules(`SELECT set_config('search_path', 'x', false)`)).toEqual(['error:set-search-path']);
    expect(await rules('SET ROLE admin')).toEqual(['error:set-role']);
  });

  it('reading a setting is not changing it: SHOW search_path, SHOW ROLE pass', async () => {
    expect(await rules('SHOW search_path')).toEqual([]);
    expect(await rules('SHOW role')).toEqual([]);
  });

  it('CREATE EXTENSION IF NOT EXISTS becomes a pre-installed no-op; forms that cannot be made harmless are refused', async () => {
    const ok = await lintStatements('M1', ['CREATE EXTENSION IF NOT EXISTS pgcrypto'], ctx);
    expect(ok).toMatchObject([{ rule: 'create-extension', severity: 'info', extension: 'pgcrypto' }]);
    expect(await rules('CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA extensions')).toEqual(['info:create-extension']);
    expect(await rules('CREATE EXTENSION "uuid-ossp"')).toEqual(['error:create-extension']);
    expect(await rules('CREATE EXTENSION IF NOT EXISTS pgcrypto SCHEMA tenant_scratch')).toEqual(['error:create-extension']);
  });

  it('a migration may opt out of a rule deliberately', async () => {
    expect(await rules('INSERT INTO public.audit_log (msg) VALUES ($1)', { allow: ['schema-qualified'] })).toEqual(['info:schema-qualified']);
  });

  it('--fix removes exactly the "public". qualifiers', () => {
    const { source, count } = removePublicQualifiers('await q(`DROP INDEX "public"."IDX_1"`); await q(`SELECT "publicity"."x", public.f()`);');
    expect(count).toBe(1);
    expect(source).toBe('await q(`DROP INDEX "IDX_1"`); await q(`SELECT "publicity"."x", public.f()`);');
  });
});
