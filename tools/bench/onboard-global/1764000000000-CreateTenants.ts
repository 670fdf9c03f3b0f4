import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The onboarding benchmark's tenant registry. */
export class CreateTenants1764000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE tenants (id text PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now())`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE tenants`);
  }
}
