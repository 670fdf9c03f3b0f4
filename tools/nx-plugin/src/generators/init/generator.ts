import { createProjectGraphAsync, getProjects, logger, readNxJson, updateNxJson, type Tree } from '@nx/devkit';
import { type FleetTargetNaming, targetNameFor } from '@fleet/core';
import { FLEET_TARGETS } from '../../plugin';
import { findProject } from '../lib/find-project';
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
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
  ignoreFleetState(tree);

  const projects = options.project ? [findProject(tree, options.project)].map((p) => [p.name, p.project] as const) : [...getProjects(tree).entries()];
  const written: string[] = [];
  for (const [name, project] of projects) {
    const configPath = posix.join(project.root, 'fleet.config.ts');
    if (tree.exists(configPath)) {
      logger.info(`${name}: ${configPath} exists already; left as it is.`);
      written.push(name);
      continue;
    }
    const found = findDataSources(tree, project.root);
    for (const f of found) for (const note of f.notes) logger.warn(`${name}: ${note}`);
    const usable = found.filter((f) => f.migrationsDir);
    if (usable.length === 0) {
      if (found.length) logger.warn(`${name}: a TypeORM DataSource but no migrations directory found in its options; no Fleet config written.`);
      continue;
    }
    tree.write(configPath, fleetConfigSource(appName(name), project.root, usable, name));
    logger.info(`${name}: wrote ${configPath} (${usable.map((u) => u.file).join(', ')}).`);
    written.push(name);
  }
  const naming = await registerPlugin(tree, options.targetPrefix, written);
  for (const name of written) {
    const targets = FLEET_TARGETS.map((verb) => targetNameFor(verb, naming, new Set()));
    logger.info(`${name}: Fleet targets ${targets.join(', ')}. Next: nx run ${name}:${targetNameFor('status', naming, new Set())}`);
  }
}

/**
 * Targets the workspace's other plugins already infer for these projects (ESLint's `lint`, a
 * `test`...): Fleet's must not replace them. Read from the project graph, where Nx can build one.
 */
async function existingTargets(tree: Tree, projects: string[]): Promise<Set<string>> {
  const taken = new Set<string>();
  for (const name of projects) for (const t of Object.keys(getProjects(tree).get(name)?.targets ?? {})) taken.add(t);
  // Only a workspace on disk has a graph (a unit test's in-memory tree would read this repository's).
  if (!existsSync(join(tree.root, 'nx.json'))) return taken;
  try {
    const graph = await createProjectGraphAsync({ exitOnError: false });
    for (const name of projects) {
      for (const [target, config] of Object.entries(graph.nodes[name]?.data.targets ?? {})) {
        if (!config.executor?.startsWith(`${PLUGIN}:`)) taken.add(target);
      }
    }
  } catch {
    // No graph (an in-memory tree in a unit test, a workspace that does not build one): the project files alone.
  }
  return taken;
}

/** A Fleet app name from an Nx project name (`@acme/shop` is `shop`). */
export function appName(project: string): string {
  return project.replace(/^@[^/]+\//, '').replace(/[^A-Za-z0-9_.-]/g, '-');
}

/**
 * Registers the plugin, naming a verb's target `fleet-<verb>` wherever the name is taken already
 * (said in the output), so `nx run api:lint` stays ESLint's.
 */
async function registerPlugin(tree: Tree, targetPrefix: string | undefined, projects: string[]): Promise<FleetTargetNaming> {
  const nxJson = readNxJson(tree) ?? {};
  const plugins = nxJson.plugins ?? [];
  const index = plugins.findIndex((p) => (typeof p === 'string' ? p : p.plugin) === PLUGIN);
  const current = index >= 0 && typeof plugins[index] !== 'string' ? ((plugins[index] as { options?: FleetTargetNaming }).options ?? {}) : {};
  const naming: FleetTargetNaming = { ...current, ...(targetPrefix ? { targetPrefix } : {}) };
  const taken = await existingTargets(tree, projects);
  const renamed: Record<string, string> = { ...(naming.targetNames ?? {}) };
  for (const verb of FLEET_TARGETS) {
    if (renamed[verb]) continue;
    const name = targetNameFor(verb, { targetPrefix: naming.targetPrefix }, new Set());
    if (!taken.has(name)) continue;
    renamed[verb] = targetNameFor(verb, { targetPrefix: naming.targetPrefix }, taken);
    logger.warn(`Target "${name}" exists already (${projects.join(', ')}): Fleet's is "${renamed[verb]}" (nx.json, plugin option targetNames).`);
  }
  if (Object.keys(renamed).length) naming.targetNames = renamed;
  const entry = Object.keys(naming).length ? { plugin: PLUGIN, options: naming } : PLUGIN;
  if (index < 0) plugins.push(entry);
  else plugins[index] = entry;
  nxJson.plugins = plugins;
  updateNxJson(tree, nxJson);
  return naming;
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

const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The DataSource reaches its server by host/port/username/password; Fleet by URL or the libpq variables: say how they meet. */
function connectionComment(app: string, key: string, connection: NonNullable<FoundDataSource['connection']>): string[] {
  const libpq: Record<string, string> = { host: 'PGHOST', port: 'PGPORT', username: 'PGUSER', password: 'PGPASSWORD' };
  // A password written in the code is not copied here.
  const value = (c: (typeof connection)[number], hidden: string) => [c.env && `$${c.env}`, c.literal].filter(Boolean).join(' ?? ') || hidden;
  const how = connection.map((c) => `${c.option} ${value(c, 'in the code')}`);
  const set = connection.map((c) => `${libpq[c.option]}=${c.env ? (c.literal ? `\${${c.env}:-${c.literal}}` : `$${c.env}`) : (c.literal ?? '...')}`);
  const urlEnv = `${app}_${key}_DATABASE_URL`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  return [
    `      // The app connects with ${how.join(', ')}.`,
    `      // Fleet reads ${urlEnv} (see urlEnv), else PGHOST, PGPORT, PGUSER, PGPASSWORD, else starts its own`,
    `      // PostgreSQL: run it with ${set.join(' ')}.`,
  ];
}

export function fleetConfigSource(app: string, projectRoot: string, sources: FoundDataSource[], project = app): string {
  const keys = new Set<string>();
  const entries = sources.map((s) => {
    let key = databaseKey(s, sources);
    for (let n = 2; keys.has(key); n++) key = `${databaseKey(s, sources)}${n}`;
    keys.add(key);
    const rel = (p: string) => `./${posix.relative(projectRoot, p)}`;
    const lines = [`      dataSource: ${quote(rel(s.file))},`, `      migrations: ${quote(rel(s.migrationsDir as string))},`];
    if (s.urlEnv) lines.push(`      urlEnv: ${quote(s.urlEnv)},`);
    // The same database as the app: from the same variable, with the same fallback.
    if (s.databaseEnv) lines.push(`      databaseEnv: ${quote(s.databaseEnv)},`);
    if (s.database) lines.push(`      database: ${quote(s.database)},`);
    if (s.schema) lines.push(`      schema: ${quote(s.schema)},`);
    if (s.migrationsTableName) lines.push(`      adoptTypeormTable: ${quote(s.migrationsTableName)},`);
    if (s.connection && !s.urlEnv) lines.unshift(...connectionComment(app, key, s.connection));
    return `    ${/^[A-Za-z_$][\w$]*$/.test(key) ? key : `'${key}'`}: {\n${lines.join('\n')}\n    },`;
  });
  const connection = sources.map((s) => s.urlEnv).filter(Boolean);
  return `import { defineFleetConfig } from '@fleet/core';

/**
 * Fleet config for ${app}, written by \`nx g @fleet/nx-plugin:init\` from its TypeORM DataSource${sources.length > 1 ? 's' : ''}.
 * Connection: ${connection.length ? connection.join(', ') : "each database's URL variable"}, else PGHOST..., else the embedded PostgreSQL.
 * TypeORM's own migrations table is adopted on the first run: applied migrations are not run again.
 * Targets (inferred): nx run ${project}:migrate | status | history | revert | stamp | verify | drift (all: nx show project ${project}).
 * Tenants or shards: nx g @fleet/nx-plugin:configuration --project ${project} --tenancy schema|database|sharded
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
