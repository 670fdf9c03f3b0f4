import { MigrationInterface, QueryRunner } from 'typeorm';

/** Builds the index without blocking writers: CONCURRENTLY cannot run inside a transaction. */
export class IndexAuditActor1764000200000 implements MigrationInterface {
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "ix_audit_events_actor" ON "audit_events" ("actor")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "ix_audit_events_actor"`);
  }
}
