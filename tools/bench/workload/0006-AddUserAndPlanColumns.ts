import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Workload revision 0006 (../shared/workload/0006_add_user_and_plan_columns.sql), verbatim. */
export class AddUserAndPlanColumns1764000000006 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users ADD COLUMN full_name VARCHAR(200);
ALTER TABLE users ADD COLUMN is_active BOOLEAN DEFAULT true NOT NULL;
ALTER TABLE accounts ADD COLUMN plan VARCHAR(32) DEFAULT 'free' NOT NULL;`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users DROP COLUMN full_name`);
    await queryRunner.query(`ALTER TABLE users DROP COLUMN is_active`);
    await queryRunner.query(`ALTER TABLE accounts DROP COLUMN plan`);
  }
}
