import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Workload revision 0004 (../shared/workload/0004_create_events.sql), verbatim. */
export class CreateEvents1764000000004 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE events (
    id BIGSERIAL NOT NULL,
    project_id BIGINT NOT NULL,
    user_id BIGINT,
    kind VARCHAR(64) NOT NULL,
    payload JSONB DEFAULT '{}'::jsonb NOT NULL,
    occurred_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    CONSTRAINT pk_events PRIMARY KEY (id),
    CONSTRAINT fk_events_project_id_projects FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE,
    CONSTRAINT fk_events_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE SET NULL
);`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE events`);
  }
}
