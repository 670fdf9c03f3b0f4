import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Workload revision 0001 (../shared/workload/0001_create_accounts.sql), verbatim. */
export class CreateAccounts1764000000001 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE accounts (
    id BIGSERIAL NOT NULL,
    name VARCHAR(200) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    CONSTRAINT pk_accounts PRIMARY KEY (id)
);`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE accounts`);
  }
}
