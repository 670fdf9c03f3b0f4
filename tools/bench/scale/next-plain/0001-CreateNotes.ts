import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Scale bench, revision 0001: the one table every tenant has before the run (created in bulk by SQL). */
export class CreateNotes1765000000001 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE notes`);
  }
}
