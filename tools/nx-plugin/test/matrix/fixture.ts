/**
 * The TypeORM app the install tests put into a workspace that was not written for Fleet: a
 * DataSource read from an environment variable, an entity with decorators, two migrations (one
 * through the Table API, one in `migration:generate` style with `"public".` names), and a tenant
 * migration with an enum column (enum types are named per schema, the trap of the Table API).
 */

export const ENTITY = `import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity('users')
export class User {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column()
  email!: string;

  @Column({ type: 'varchar', nullable: true })
  nickname!: string | null;
}
`;

export const CREATE_USERS = `import { MigrationInterface, QueryRunner, Table } from 'typeorm';

export class CreateUsers1700000000000 implements MigrationInterface {
  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          { name: 'id', type: 'uuid', isPrimary: true, isGenerated: true, generationStrategy: 'uuid' },
          { name: 'email', type: 'varchar' },
        ],
      }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('users');
  }
}
`;

export const ADD_NICKNAME = `import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddNickname1700000000001 implements MigrationInterface {
  name = 'AddNickname1700000000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`ALTER TABLE "public"."users" ADD "nickname" character varying\`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`ALTER TABLE "public"."users" DROP COLUMN "nickname"\`);
  }
}
`;

export const CREATE_ORDERS = (stamp: string): string => `import { MigrationInterface, QueryRunner, Table } from 'typeorm';

export class CreateOrders${stamp} implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'orders',
        columns: [
          { name: 'id', type: 'serial', isPrimary: true },
          { name: 'status', type: 'enum', enum: ['new', 'paid'], default: "'new'" },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('orders');
  }
}
`;

/** A DataSource module as TypeORM's docs write it, its URL from `urlEnv`. */
export const DATA_SOURCE = (urlEnv: string): string => `import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { User } from './user.entity';

export const AppDataSource = new DataSource({
  type: 'postgres',
  url: process.env.${urlEnv},
  entities: [User],
  migrations: [__dirname + '/migrations/*{.ts,.js}'],
});
`;

/** The compiler options of a TypeORM app: decorators with metadata. */
export const COMPILER_OPTIONS = {
  target: 'es2022',
  module: 'commonjs',
  moduleResolution: 'bundler',
  strict: true,
  esModuleInterop: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  skipLibCheck: true,
  types: ['node'],
};

export const TSCONFIG = JSON.stringify({ compilerOptions: COMPILER_OPTIONS }, null, 2);

/** The app's source files under `<appRoot>/src`, keyed by path relative to the workspace. */
export function appSources(appRoot: string, urlEnv: string): Record<string, string> {
  return {
    [`${appRoot}/src/user.entity.ts`]: ENTITY,
    [`${appRoot}/src/data-source.ts`]: DATA_SOURCE(urlEnv),
    [`${appRoot}/src/migrations/1700000000000-CreateUsers.ts`]: CREATE_USERS,
    [`${appRoot}/src/migrations/1700000000001-AddNickname.ts`]: ADD_NICKNAME,
  };
}
