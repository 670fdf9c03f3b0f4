import { generateFiles, joinPathFragments, logger, type Tree } from '@nx/devkit';
import { findProject } from '../lib/find-project';
import { pluginPath } from '../lib/plugin-files';
import { generateMigrationSql, type GeneratedSql, type LoadedDatabase } from '@fleet/core';
import { join } from 'node:path';
import { readFleetConfig } from './lib/read-fleet-config';
import type { MigrationGeneratorSchema } from './schema';

export interface NormalizedMigrationOptions {
  app: string;
  database: string;
  track: 'global' | 'tenant';
  name: string;
  className: string;
  fileName: string;
  directory: string;
  configPath: string;
}

/** Validates the options against the app's Fleet config and decides where the file goes. */
export function normalizeOptions(tree: Tree, options: MigrationGeneratorSchema): NormalizedMigrationOptions {
  if (!/^[A-Z][A-Za-z0-9]*[A-Za-z]$/.test(options.name)) {
    throw new Error(
      `Migration name "${options.name}" must be PascalCase letters and digits, starting with a capital and not ending in a digit (the timestamp is appended), e.g. AddUserNickname.`,
    );
  }
  const { project } = findProject(tree, options.project);
  const configPath = joinPathFragments(project.root, 'fleet.config.ts');
  if (!tree.exists(configPath)) throw new Error(`Project ${options.project} has no fleet.config.ts (looked for ${configPath}).`);
  const config = readFleetConfig(tree, configPath);
  let db: LoadedDatabase | undefined;
  if (options.database) {
    db = config.databases.find((d) => d.key === options.database);
    if (!db) throw new Error(`App ${config.app} has no database "${options.database}" (its databases: ${config.databases.map((d) => d.key).join(', ')}).`);
  } else if (config.databases.length === 1) db = config.databases[0];
  else throw new Error(`App ${config.app} has several databases (${config.databases.map((d) => d.key).join(', ')}): pass --database.`);
  const track = options.track ?? 'global';
  if (track === 'tenant' && !db.tenants) throw new Error(`Database ${db.key} of ${config.app} has no tenant track.`);
  const directory = track === 'tenant' ? db.tenants!.migrationsDir : db.migrationsDir;
  const timestamp = options.timestamp ?? Date.now();
  if (!Number.isInteger(timestamp) || timestamp <= 0) throw new Error(`--timestamp must be a positive whole number, got ${options.timestamp}`);
  return {
    app: config.app,
    database: db.key,
    track,
    name: options.name,
    className: `${options.name}${timestamp}`,
    fileName: `${timestamp}-${options.name}`,
    directory,
    configPath,
  };
}

/** `nx g @fleet/nx-plugin:migration AddUserNickname --project app1 --database users --track tenant` */
export async function migrationGenerator(tree: Tree, options: MigrationGeneratorSchema): Promise<void> {
  const o = normalizeOptions(tree, options);
  // Refuse to overwrite, and refuse a second migration of the same name in this track.
  const existing = tree.exists(o.directory) ? tree.children(o.directory) : [];
  const clash = existing.find((f) => f.replace(/\.[jt]s$/, '').replace(/^\d+-/, '') === o.name);
  if (clash) throw new Error(`A migration named ${o.name} exists already in ${o.directory} (${clash}); choose another name.`);
  // The template is already formatted; the workspace configures no formatter for formatFiles.
  let sql: GeneratedSql = { up: [], down: [] };
  if (options.generate) {
    sql = await generateMigrationSql({ config: join(tree.root, o.configPath), workspaceRoot: tree.root, database: o.database, track: o.track });
    if (sql.up.length === 0) {
      throw new Error(`The entities of ${o.app}/${o.database} (${o.track} track) match its migrations: nothing to generate.`);
    }
  }
  generateFiles(tree, pluginPath(tree.root, 'src/generators/migration/files'), o.directory, {
    ...o,
    generated: !!options.generate,
    up: sql.up.map(sqlLiteral),
    down: sql.down.map(sqlLiteral),
    tmpl: '',
  });
  logger.info(`Created ${joinPathFragments(o.directory, `${o.fileName}.ts`)} (${o.app}/${o.database}, ${o.track} track)`);
}

export default migrationGenerator;

/** An SQL string as a TypeScript template literal. */
export function sqlLiteral(sql: string): string {
  return '`' + sql.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${') + '`';
}
