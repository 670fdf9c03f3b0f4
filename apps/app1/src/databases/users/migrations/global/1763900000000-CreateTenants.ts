import { MigrationInterface, QueryRunner } from 'typeorm';

/** The tenant registry, in the global (public) schema: one row per tenant schema. */
export class CreateTenants1763900000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "tenants" ("id" character varying(63) NOT NULL, "plan" character varying(32) NOT NULL DEFAULT 'free', ` +
        `"region" character varying(32) NOT NULL DEFAULT 'eu', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), ` +
        `CONSTRAINT "PK_53be67a04681c66b87ee27c9321" PRIMARY KEY ("id"))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "tenants"`);
  }
}
