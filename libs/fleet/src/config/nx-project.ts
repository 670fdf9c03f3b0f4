/**
 * Where a Fleet app meets Nx: the project a config belongs to, the names its inferred targets take,
 * and the exact `nx run` command for a verb. The Nx plugin names its targets with these functions,
 * and every hint Fleet prints uses them, so a hint is always a command that runs.
 *
 * Plain files only (project.json, package.json, nx.json): no Nx import, so the CLI stays light and
 * works in a project without Nx.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';

export const FLEET_PLUGIN = '@fleet/nx-plugin';

/** Verbs named by two CLI words: `tenant-create` is `fleet tenant create`. */
export const CLI_GROUPS = ['tenant', 'run', 'extensions'] as const;

/** The CLI words of a verb: `tenant-create` -> ['tenant', 'create'], `cadence-check` -> ['cadence-check']. */
export function cliWords(verb: string): string[] {
  const group = CLI_GROUPS.find((g) => verb.startsWith(`${g}-`));
  return group ? [group, verb.slice(group.length + 1)] : [verb];
}

/** The plugin's options in nx.json that name its targets. */
export interface FleetTargetNaming {
  /** Put before every target name (`db-` gives `db-migrate`). */
  targetPrefix?: string;
  /** A verb's target under another name (`{ lint: 'fleet-lint' }`), as `init` writes on a collision. */
  targetNames?: Record<string, string>;
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8'));
    return value && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The Nx project name of a folder: project.json's `name`, else package.json's, else the folder's name. */
export function projectNameOf(projectRoot: string): string {
  const project = readJson(join(projectRoot, 'project.json'));
  if (typeof project?.name === 'string') return project.name;
  const pkg = readJson(join(projectRoot, 'package.json'));
  if (typeof pkg?.name === 'string') return pkg.name;
  return basename(projectRoot);
}

/** `@acme/api` is `api`; `api` stays `api`. */
export function unscoped(name: string): string {
  return name.replace(/^@[^/]+\//, '');
}

/**
 * The targets a project declares itself (project.json `targets`, package.json `scripts` and
 * `nx.targets`): the plugin never shadows them.
 */
export function declaredTargets(projectRoot: string): Set<string> {
  const project = readJson(join(projectRoot, 'project.json'));
  const pkg = readJson(join(projectRoot, 'package.json'));
  const nx = pkg?.nx as Record<string, unknown> | undefined;
  return new Set([...Object.keys((project?.targets as object) ?? {}), ...Object.keys((pkg?.scripts as object) ?? {}), ...Object.keys((nx?.targets as object) ?? {})]);
}

/**
 * A verb's target name: the configured name (prefix or explicit), and `fleet-<that>` when the
 * project already has a target of that name (ESLint's `lint`, a `status` script...).
 */
export function targetNameFor(verb: string, naming: FleetTargetNaming, taken: ReadonlySet<string>): string {
  const name = naming.targetNames?.[verb] ?? `${naming.targetPrefix ?? ''}${verb}`;
  if (!taken.has(name)) return name;
  let fallback = `fleet-${name}`;
  for (let n = 2; taken.has(fallback); n++) fallback = `fleet-${name}-${n}`;
  return fallback;
}

/** The plugin's entry in nx.json: its naming options, or null where Nx or the plugin is absent. */
export function pluginNaming(workspaceRoot: string): FleetTargetNaming | null {
  const nxJson = readJson(join(workspaceRoot, 'nx.json'));
  if (!nxJson) return null;
  const plugins = Array.isArray(nxJson.plugins) ? (nxJson.plugins as unknown[]) : [];
  for (const p of plugins) {
    if (p === FLEET_PLUGIN) return {};
    if (p && typeof p === 'object' && (p as { plugin?: unknown }).plugin === FLEET_PLUGIN) return ((p as { options?: FleetTargetNaming }).options ?? {}) as FleetTargetNaming;
  }
  return null;
}

/**
 * How to run a verb for the app whose config is `configFile`: the `nx run` command where the
 * workspace has the plugin, and the CLI command that works anywhere.
 */
export function commandsFor(verb: string, configFile: string, workspaceRoot: string, app: string): { nx: string | null; cli: string } {
  const root = dirname(configFile);
  const cli = `fleet ${cliWords(verb).join(' ')} ${configLocatedByApp(workspaceRoot, app, configFile) ? `--app ${app}` : `--config ${relative(workspaceRoot, configFile) || configFile}`}`;
  const naming = pluginNaming(workspaceRoot);
  const isProject = existsSync(join(root, 'project.json')) || existsSync(join(root, 'package.json'));
  if (!naming || !isProject) return { nx: null, cli };
  return { nx: `nx run ${projectNameOf(root)}:${targetNameFor(verb, naming, declaredTargets(root))}`, cli };
}

function configLocatedByApp(workspaceRoot: string, app: string, configFile: string): boolean {
  const found = findAppConfig(workspaceRoot, app);
  return 'file' in found && found.file === configFile;
}

const SKIP = new Set(['node_modules', 'dist', 'tmp', 'coverage', 'out-tsc', 'build']);

/** Every fleet.config.ts of the workspace, a few folders deep (dependencies, outputs and dot folders skipped). */
export function workspaceConfigs(workspaceRoot: string, configFile = 'fleet.config.ts', depth = 4): string[] {
  const found: string[] = [];
  const walk = (dir: string, level: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isFile() && e.name === configFile && dir !== workspaceRoot) found.push(join(dir, e.name));
      else if (e.isDirectory() && level < depth && !e.name.startsWith('.') && !SKIP.has(e.name)) walk(join(dir, e.name), level + 1);
    }
  };
  walk(workspaceRoot, 0);
  return found.sort();
}

/**
 * The config of `--app <name>`, where the name is a folder (`apps/<name>`, `<name>`), an Nx project
 * (`api` or `@acme/api`, from project.json or package.json) or the unscoped form of one.
 */
export function findAppConfig(workspaceRoot: string, app: string, configFile = 'fleet.config.ts'): { file: string } | { ambiguous: string[] } | { looked: string[] } {
  const conventional = [join(workspaceRoot, 'apps', app, configFile), join(workspaceRoot, app, configFile)];
  const direct = conventional.find((c) => existsSync(c));
  if (direct) return { file: direct };
  const matches = workspaceConfigs(workspaceRoot, configFile).filter((file) => {
    const root = dirname(file);
    const name = projectNameOf(root);
    return name === app || unscoped(name) === unscoped(app) || basename(root) === unscoped(app);
  });
  const exact = matches.filter((file) => projectNameOf(dirname(file)) === app);
  if (matches.length === 1 || exact.length === 1) return { file: (exact[0] ?? matches[0]) as string };
  if (matches.length > 1) return { ambiguous: matches.map((m) => relative(workspaceRoot, m)) };
  return { looked: conventional.map((c) => relative(workspaceRoot, c)) };
}
