import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Workload revision 0009 (../shared/workload/0009_rename_event_kind.sql), verbatim. */
export class RenameEventKind1764000000009 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    // fleet-lint-disable-next-statement FLEET107: the benchmark migrates new, empty tenant schemas with nothing else connected (no application reads events.kind)
    await queryRunner.query(`ALTER TABLE events RENAME kind TO event_type;
ALTER TABLE events RENAME CONSTRAINT ck_events_kind_not_empty TO ck_events_event_type_not_empty;`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE events RENAME CONSTRAINT ck_events_event_type_not_empty TO ck_events_kind_not_empty`);
    await queryRunner.query(`ALTER TABLE events RENAME event_type TO kind`);
  }
}
