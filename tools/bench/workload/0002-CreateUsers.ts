import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Workload revision 0002 (../shared/workload/0002_create_users.sql), verbatim. */
export class CreateUsers1764000000002 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE users (
    id BIGSERIAL NOT NULL,
    account_id BIGINT NOT NULL,
    email VARCHAR(320) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    CONSTRAINT pk_users PRIMARY KEY (id),
    CONSTRAINT fk_users_account_id_accounts FOREIGN KEY(account_id) REFERENCES accounts (id) ON DELETE CASCADE,
    CONSTRAINT uq_users_account_id_email UNIQUE (account_id, email)
);`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE users`);
  }
}
