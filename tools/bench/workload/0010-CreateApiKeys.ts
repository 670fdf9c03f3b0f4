import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Workload revision 0010 (../shared/workload/0010_create_api_keys.sql), verbatim. */
export class CreateApiKeys1764000000010 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE api_keys (
    id BIGSERIAL NOT NULL,
    account_id BIGINT NOT NULL,
    key_hash VARCHAR(128) NOT NULL,
    label VARCHAR(200),
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    revoked_at TIMESTAMP WITH TIME ZONE,
    CONSTRAINT pk_api_keys PRIMARY KEY (id),
    CONSTRAINT fk_api_keys_account_id_accounts FOREIGN KEY(account_id) REFERENCES accounts (id) ON DELETE CASCADE,
    CONSTRAINT uq_api_keys_key_hash UNIQUE (key_hash)
);
CREATE INDEX ix_api_keys_account_id_active ON api_keys (account_id) WHERE revoked_at IS NULL;`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE api_keys`);
  }
}
