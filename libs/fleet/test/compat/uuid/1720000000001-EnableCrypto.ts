import { MigrationInterface, QueryRunner } from 'typeorm';

// Real projects enable extensions in an ordinary migration.
export class EnableCrypto1720000000001 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);
    await queryRunner.query(`CREATE TABLE "api_keys" ("id" uuid NOT NULL DEFAULT uuid_generate_v4() PRIMARY KEY, "secret" text NOT NULL DEFAULT encode(gen_random_bytes(16), 'hex'), "alt" uuid NOT NULL DEFAULT gen_random_uuid())`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "api_keys"`);
  }
}
