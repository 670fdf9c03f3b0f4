import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Workload revision 0008 (../shared/workload/0008_check_constraints.sql), verbatim. */
export class CheckConstraints1764000000008 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    // fleet-lint-disable-next-statement FLEET106: the benchmark migrates new, empty tenant schemas with nothing else connected
    await queryRunner.query(`ALTER TABLE accounts ADD CONSTRAINT ck_accounts_plan CHECK (plan IN ('free', 'pro', 'enterprise'));
ALTER TABLE events ADD CONSTRAINT ck_events_kind_not_empty CHECK (length(kind) > 0);`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE accounts DROP CONSTRAINT ck_accounts_plan`);
    await queryRunner.query(`ALTER TABLE events DROP CONSTRAINT ck_events_kind_not_empty`);
  }
}
