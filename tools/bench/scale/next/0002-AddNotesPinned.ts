import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Scale bench, revision 0002: the new migration the fresh migrate applies across the fleet. */
export class AddNotesPinned1765000000002 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE notes ADD COLUMN pinned boolean NOT NULL DEFAULT false`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE notes DROP COLUMN pinned`);
  }
}
