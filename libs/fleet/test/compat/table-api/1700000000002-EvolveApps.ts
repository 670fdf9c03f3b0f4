import { MigrationInterface, QueryRunner, TableCheck, TableColumn, TableExclusion, TableUnique } from 'typeorm';

// Columns, constraints and keys changed through the Table API, with lookups before acting.
export class EvolveApps1700000000002 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    if (!(await queryRunner.hasTable('apps'))) throw new Error('apps is missing in this schema');
    await queryRunner.addColumn('apps', new TableColumn({ name: 'slug', type: 'varchar', length: '60', isNullable: true }));
    await queryRunner.addColumns('apps', [
      new TableColumn({ name: 'owner', type: 'varchar', isNullable: true }),
      new TableColumn({ name: 'tier', type: 'enum', enum: ['free', 'pro'], default: "'free'" }),
    ]);
    // fleet-lint-disable-next-statement FLEET112: compatibility fixture: its tables are created empty by the test and nothing else uses them
    await queryRunner.createUniqueConstraint('apps', new TableUnique({ name: 'UQ_apps_slug', columnNames: ['slug'] }));
    // fleet-lint-disable-next-statement FLEET106: compatibility fixture: its tables are created empty by the test and nothing else uses them
    await queryRunner.createCheckConstraint('builds', new TableCheck({ name: 'CHK_builds_number', expression: '"number" > 0' }));
    // fleet-lint-disable-next-statement FLEET107: compatibility fixture: its tables are created empty by the test and nothing else uses them
    await queryRunner.renameColumn('apps', 'owner', 'owner_email');
    // TypeORM changes a varchar length by dropping the column and adding it again (NOT NULL, no default): data loss on a live table.
    // fleet-lint-disable-next-statement FLEET102, FLEET108, FLEET113: compatibility fixture: its tables are created empty by the test and nothing else uses them
    await queryRunner.changeColumn('apps', 'name', new TableColumn({ name: 'name', type: 'varchar', length: '200', isNullable: false }));
    await queryRunner.addColumn('builds', new TableColumn({ name: 'window', type: 'tstzrange', isNullable: true }));
    // fleet-lint-disable-next-statement FLEET112: compatibility fixture: its tables are created empty by the test and nothing else uses them
    await queryRunner.createExclusionConstraint('builds', new TableExclusion({ name: 'XCL_builds_window', expression: 'USING gist ("window" WITH &&)' }));
    const table = await queryRunner.getTable('apps');
    if (!table?.findColumnByName('slug') || !(await queryRunner.hasColumn('apps', 'owner_email'))) throw new Error('getTable/hasColumn read another schema');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropExclusionConstraint('builds', 'XCL_builds_window');
    await queryRunner.dropColumn('builds', 'window');
    await queryRunner.changeColumn('apps', 'name', new TableColumn({ name: 'name', type: 'varchar', length: '100', isNullable: false }));
    await queryRunner.renameColumn('apps', 'owner_email', 'owner');
    await queryRunner.dropCheckConstraint('builds', 'CHK_builds_number');
    await queryRunner.dropUniqueConstraint('apps', 'UQ_apps_slug');
    await queryRunner.dropColumns('apps', ['owner', 'tier']);
    await queryRunner.dropColumn('apps', 'slug');
  }
}
