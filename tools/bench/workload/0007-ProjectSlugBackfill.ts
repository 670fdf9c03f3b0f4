import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Workload revision 0007 (../shared/workload/0007_project_slug_backfill.sql), verbatim. */
export class ProjectSlugBackfill1764000000007 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    // fleet-lint-disable-next-statement FLEET105, FLEET101: the benchmark migrates new, empty tenant schemas with nothing else connected
    await queryRunner.query(`ALTER TABLE projects ADD COLUMN slug VARCHAR(200);
UPDATE projects SET slug = lower(regexp_replace(name, '[^A-Za-z0-9]+', '-', 'g')) WHERE slug IS NULL;
ALTER TABLE projects ALTER COLUMN slug SET NOT NULL;
CREATE UNIQUE INDEX uq_projects_account_id_slug ON projects (account_id, slug);`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX uq_projects_account_id_slug`);
    await queryRunner.query(`ALTER TABLE projects DROP COLUMN slug`);
  }
}
