import { MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';

// Table API style, as real projects write it: bare table names, an enum column, inline indices.
export class CreateApps1700000000001 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'apps',
        columns: [
          { name: 'id', type: 'int', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'name', type: 'varchar', length: '100', isNullable: false },
          { name: 'status', type: 'enum', enum: ['draft', 'live', 'retired'], default: "'draft'" },
          { name: 'created_at', type: 'timestamptz', default: 'now()' },
        ],
        indices: [{ name: 'IDX_apps_name', columnNames: ['name'] }],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: 'builds',
        columns: [
          { name: 'id', type: 'int', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'app_id', type: 'int' },
          { name: 'number', type: 'int' },
        ],
      }),
      true,
    );
    await queryRunner.createForeignKey(
      'builds',
      new TableForeignKey({ name: 'FK_builds_app', columnNames: ['app_id'], referencedTableName: 'apps', referencedColumnNames: ['id'], onDelete: 'CASCADE' }),
    );
    await queryRunner.createIndex('builds', new TableIndex({ name: 'IDX_builds_app_number', columnNames: ['app_id', 'number'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('builds', 'IDX_builds_app_number');
    await queryRunner.dropForeignKey('builds', 'FK_builds_app');
    await queryRunner.dropTable('builds');
    await queryRunner.dropTable('apps', true);
  }
}
