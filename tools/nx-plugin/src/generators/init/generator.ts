import { getProjects, logger, readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { posix } from 'node:path';
import { findDataSources, type FoundDataSource } from './lib/find-data-sources';

export interface InitGeneratorSchema {
  /** Prefix for the inferred target names (`db-` gives `db-migrate`, `db-status`...). */
  targetPrefix?: string;
  /** Only this project (default: every project with a TypeORM DataSource and migrations). */
  project?: string;
}

export const PLUGIN = '@fleet/nx-plugin';

/**
 * `nx add @fleet/nx-plugin` runs this: register the plugin in nx.json (its targets are then
 * inferred for every project with a fleet.config.ts), and write that config for each project whose
 * code has a TypeORM DataSource with a migrations directory, from what the DataSource says.
 * Existing configs are left alone; running it twice changes nothing.
 */
export async function initGenerator(tree: Tree, options: InitGeneratorSchema = {}): Promise<void> {
  if (options.targetPrefix !== undefined && !/^[a-z][a-z0-9-]*$/i.test(options.targetPrefix)) {
    throw new Error(`targetPrefix "${options.targetPrefix}" must be letters, digits and "-" (e.g. "db-").`);
  }
  registerPlugin(tree, options.targetPrefix);
  ignoreFleetState(tree);

  const projects = [...getProjects(tree).entries()].filter(([name]) => !options.project || name === options.project);
  if (options.project && projects.length === 0) throw new Error(`No project named ${options.project}.`);
  for (const [name, project] of projects) {
    const configPath = posix.join(project.root, 'fleet.config.ts');
    if (tree.exists(configPath)) {
      logger.info(`${name}: ${configPath} exists already; left as it is.`);
      continue;
    }
    const found = findDataSources(tree, project.root);
    for (const f of found) for (const note of f.notes) logger.warn(`${name}: ${note}`);
    const usable = found.filter((f) => f.migrationsDir);
    if (usable.length === 0) {
      if (found.length) logger.warn(`${name}: a TypeORM DataSource but no migrations directory found in its options; no Fleet config written.`);
      continue;
    }
    tree.write(configPath, fleetConfigSource(appName(name), project.root, usable));
    logger.info(`${name}: wrote ${configPath} (${usable.map((u) => u.file).join(', ')}). Next: nx run ${name}:${options.targetPrefix ?? ''}status`);
  }
}

/** A Fleet app name from an Nx project name (`@acme/shop` is `shop`). */
export function appName(project: string): string {
  return project.replace(/^@[^/]+\//, '').replace(/[^A-Za-z0-9_.-]/g, '-');
}

function registerPlugin(tree: Tree, targetPrefix: string | undefined): void {
  const nxJson = readNxJson(tree) ?? {};
  const plugins = nxJson.plugins ?? [];
  const index = plugins.findIndex((p) => (typeof p === 'string' ? p : p.plugin) === PLUGIN);
  const entry = targetPrefix ? { plugin: PLUGIN, options: { targetPrefix } } : PLUGIN;
  if (index < 0) plugins.push(entry);
  else if (targetPrefix) plugins[index] = entry;
  nxJson.plugins = plugins;
  updateNxJson(tree, nxJson);
}

/** Run journals, the lint cache and the embedded server's data live in .fleet/: not for git. */
function ignoreFleetState(tree: Tree): void {
  const current = tree.exists('.gitignore') ? (tree.read('.gitignore', 'utf-8') ?? '') : '';
  if (/^\/?\.fleet\/?$/m.test(current)) return;
  tree.write(
    '.gitignore',
    `${current}${current && !current.endsWith('\n') ? '\n' : ''}${current ? '\n' : ''}# Fleet: run journals, lint cache, embedded PostgreSQL data\n.fleet\n`,
  );
}

const GENERIC_FOLDERS = new Set(['src', 'app', 'lib', 'db', 'database', 'databases', 'config', 'data', 'typeorm', 'orm']);

function databaseKey(source: FoundDataSource, all: FoundDataSource[]): string {
  const base = posix.basename(source.file).replace(/\.[cm]?[tj]s$/, '');
  const stem = base.replace(/[.-]?(data-?source|datasource|ormconfig|typeorm(\.config)?|db)$/i, '');
  const folder = posix.basename(posix.dirname(source.file));
  // users/data-source.ts next to audit/data-source.ts: the folder names the database.
  const candidate = stem || (all.length > 1 && !GENERIC_FOLDERS.has(folder) ? folder : 'main');
  const key = candidate.replace(/[^A-Za-z0-9_-]/g, '_').replace(/^[^A-Za-z]+/, '');
  return key || 'main';
}

export function fleetConfigSource(app: string, projectRoot: string, sources: FoundDataSource[]): string {
  const keys = new Set<string>();
  const entries = sources.map((s) => {
    let key = databaseKey(s, sources);
    for (let n = 2; keys.has(key); n++) key = `${databaseKey(s, sources)}${n}`;
    keys.add(key);
    const rel = (p: string) => `./${posix.relative(projectRoot, p)}`;
    const lines = [`      dataSource: '${rel(s.file)}',`, `      migrations: '${rel(s.migrationsDir as string)}',`];
    if (s.urlEnv) lines.push(`      urlEnv: '${s.urlEnv}',`);
    if (s.database) lines.push(`      database: '${s.database}',`);
    if (s.migrationsTableName) lines.push(`      adoptTypeormTable: '${s.migrationsTableName}',`);
    return `    ${/^[A-Za-z_$][\w$]*$/.test(key) ? key : `'${key}'`}: {\n${lines.join('\n')}\n    },`;
  });
  const connection = sources.map((s) => s.urlEnv).filter(Boolean);
  return `import { defineFleetConfig } from '@fleet/core';

/**
 * Fleet config for ${app}, written by \`nx g @fleet/nx-plugin:init\` from its TypeORM DataSource${sources.length > 1 ? 's' : ''}.
 * Connection: ${connection.length ? connection.join(', ') : "each database's URL variable"}, else PGHOST..., else the embedded PostgreSQL.
 * TypeORM's own migrations table is adopted on the first run: applied migrations are not run again.
 * Targets (inferred): nx run ${app}:migrate | status | history | revert | stamp | verify | drift | lint.
 * Tenants or shards: nx g @fleet/nx-plugin:configuration --project ${app} --tenancy schema|database|sharded
 */
export default defineFleetConfig({
  app: '${app}',
  databases: {
${entries.join('\n')}
  },
});
`;
}

export default initGenerator;
