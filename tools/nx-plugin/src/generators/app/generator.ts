import { addProjectConfiguration, generateFiles, joinPathFragments, logger, offsetFromRoot, type Tree } from '@nx/devkit';
import { pluginPath } from '../lib/plugin-files';

export interface AppGeneratorSchema {
  name: string;
  directory?: string;
  database?: string;
  tenants?: boolean;
}

export function normalizeOptions(tree: Tree, options: AppGeneratorSchema) {
  if (!/^[a-z][a-z0-9-]*$/.test(options.name)) throw new Error(`App name "${options.name}" must use lower-case letters, digits and "-", starting with a letter.`);
  const database = options.database ?? 'main';
  if (!/^[a-z][a-z0-9_]*$/.test(database)) throw new Error(`Database key "${database}" must use lower-case letters, digits and "_", starting with a letter.`);
  const root = joinPathFragments(options.directory ?? 'apps', options.name);
  if (tree.exists(root)) throw new Error(`${root} exists already: refusing to overwrite it.`);
  const databaseName = `${options.name}_${database}`.replace(/-/g, '_');
  const urlEnv = `${options.name}_${database}_DATABASE_URL`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  return { name: options.name, root, database, databaseName, urlEnv, tenants: !!options.tenants, offset: offsetFromRoot(root) };
}

/** `nx g @fleet/nx-plugin:app shop [--tenants]`, then `nx run shop:migrate`. */
export async function appGenerator(tree: Tree, options: AppGeneratorSchema): Promise<void> {
  const o = normalizeOptions(tree, options);
  addProjectConfiguration(tree, o.name, { root: o.root, sourceRoot: `${o.root}/src`, projectType: 'application', tags: ['scope:app'], targets: {} });
  generateFiles(tree, pluginPath(tree.root, 'src/generators/app/files'), o.root, { ...o, keep: '.gitkeep', tmpl: '' });
  const migrations = joinPathFragments(o.root, 'src/databases', o.database, 'migrations');
  tree.rename(joinPathFragments(migrations, '__keep__'), joinPathFragments(migrations, '.gitkeep'));
  if (o.tenants) {
    const ts = Date.now();
    tree.delete(joinPathFragments(migrations, '.gitkeep'));
    tree.write(
      joinPathFragments(migrations, 'global', `${ts}-CreateTenants.ts`),
      `import { MigrationInterface, QueryRunner } from 'typeorm';\n\n/** The tenant registry (global schema). */\nexport class CreateTenants${ts} implements MigrationInterface {\n  async up(queryRunner: QueryRunner): Promise<void> {\n    await queryRunner.query(\n      \`CREATE TABLE "tenants" ("id" character varying(63) NOT NULL, "plan" character varying(32) NOT NULL DEFAULT 'free', \` +\n        \`"region" character varying(32) NOT NULL DEFAULT 'eu', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \` +\n        \`CONSTRAINT "PK_53be67a04681c66b87ee27c9321" PRIMARY KEY ("id"))\`,\n    );\n  }\n\n  async down(queryRunner: QueryRunner): Promise<void> {\n    await queryRunner.query(\`DROP TABLE "tenants"\`);\n  }\n}\n`,
    );
    tree.write(joinPathFragments(migrations, 'tenant', '.gitkeep'), '');
    tree.write(
      joinPathFragments(o.root, 'src/databases', o.database, 'tenant.data-source.ts'),
      `import 'reflect-metadata';\nimport { DataSource } from 'typeorm';\n\n/** ${o.name}/${o.database}, tenant track: the entities every tenant schema maps. */\nexport default new DataSource({ type: 'postgres', url: process.env.${o.urlEnv}, entities: [], migrations: [] });\n`,
    );
  }
  logger.info(`Created ${o.root}: run \`nx run ${o.name}:migrate\` (database ${o.databaseName}).`);
}

export default appGenerator;
