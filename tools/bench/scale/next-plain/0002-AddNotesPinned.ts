import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scale bench, revision 0002, "plain" variant (`npm run bench:scale -- --next plain`): the same new
 * column, nullable and without a default. PostgreSQL 15 (seen on 15.20) adds it from the table's own
 * catalog rows only; the default variant (../next) adds `NOT NULL DEFAULT false`, and any ADD COLUMN
 * with a non-null default makes ALTER TABLE's phase 3 (find_composite_type_dependencies) read the
 * whole of pg_index, i.e. every index of every tenant: O(catalog) per tenant (BENCHMARKS.md, Run 4).
 */
export class AddNotesPinned1765000000002 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE notes ADD COLUMN pinned boolean`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE notes DROP COLUMN pinned`);
  }
}
