import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Workload revision 0005 (../shared/workload/0005_add_indexes.sql), verbatim. */
export class AddIndexes1764000000005 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    // fleet-lint-disable-next-statement FLEET101: the benchmark migrates new, empty tenant schemas with nothing else connected
    await queryRunner.query(`CREATE INDEX ix_projects_account_id ON projects (account_id);
CREATE INDEX ix_events_project_id_occurred_at ON events (project_id, occurred_at);
CREATE INDEX ix_events_user_id ON events (user_id);`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX ix_projects_account_id`);
    await queryRunner.query(`DROP INDEX ix_events_project_id_occurred_at`);
    await queryRunner.query(`DROP INDEX ix_events_user_id`);
  }
}
