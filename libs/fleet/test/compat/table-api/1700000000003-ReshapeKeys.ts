import { MigrationInterface, QueryRunner, Table, View } from 'typeorm';

// Primary keys, a rename, a view, and a table dropped and re-created in down.
export class ReshapeKeys1700000000003 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'app_tags',
        columns: [
          { name: 'app_id', type: 'int' },
          { name: 'tag', type: 'varchar', length: '40' },
        ],
      }),
    );
    await queryRunner.createPrimaryKey('app_tags', ['app_id', 'tag']);
    await queryRunner.renameTable('app_tags', 'app_labels');
    await queryRunner.createView(new View({ name: 'live_apps', expression: `SELECT "id", "name" FROM "apps" WHERE "status" = 'live'` }));
    await queryRunner.createTable(new Table({ name: 'scratch', columns: [{ name: 'id', type: 'int' }] }));
    await queryRunner.dropTable('scratch');
    // A data step: run twice, it would leave two rows (the compatibility suite counts them).
    await queryRunner.query(`INSERT INTO "apps" ("name", "status") VALUES ('seeded', 'live')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "apps" WHERE "name" = 'seeded'`);
    // dropView('name') finds views only through TypeORM's typeorm_metadata table (as in TypeORM itself).
    await queryRunner.query(`DROP VIEW "live_apps"`);
    await queryRunner.renameTable('app_labels', 'app_tags');
    await queryRunner.dropPrimaryKey('app_tags');
    await queryRunner.dropTable('app_tags');
  }
}
