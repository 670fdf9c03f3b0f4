/**
 * Scratch workspaces for the compatibility matrix. Installing a workspace's dependencies is the
 * slow part, so each scenario's workspace is prepared once, without Fleet, and kept in
 * `~/.cache/fleet-compat/<id>-<hash of its versions>` (FLEET_COMPAT_CACHE overrides the folder);
 * each run copies it, adds the app, and installs the freshly packed tarballs into the copy with
 * the package manager's plain add command: no flag that relaxes peer dependencies.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { COMPILER_OPTIONS, TSCONFIG, appSources } from './fixture';
import { ok, run, Run, write } from './process';
import type { Scenario } from './scenarios';

/** Bump when the way a workspace is prepared changes, so old caches are not reused. */
const PREPARE_FORMAT = 1;

export const CACHE_ROOT = process.env.FLEET_COMPAT_CACHE || join(homedir(), '.cache', 'fleet-compat');

/** The package manager's command line: npm from PATH, pnpm and yarn at the scenario's exact version through npx. */
export function packageManager(scenario: Scenario, args: string[]): [string, string[]] {
  const { name, version } = scenario.packageManager;
  if (name === 'npm') return ['npm', args];
  // Yarn 2+ is published as @yarnpkg/cli-dist; the `yarn` package is yarn classic.
  const pkg = name === 'yarn' && !isYarnClassic(scenario) ? '@yarnpkg/cli-dist' : name;
  return ['npx', ['-y', `${pkg}@${version}`, ...args]];
}

const isYarnClassic = (scenario: Scenario) => scenario.packageManager.name === 'yarn' && scenario.packageManager.version.startsWith('1.');

function pm(scenario: Scenario, cwd: string, args: string[], timeoutMs = 900_000): Promise<string> {
  const [command, full] = packageManager(scenario, args);
  return ok(command, full, cwd, {}, timeoutMs);
}

/** Installs packages (`name@version` or tarball paths) as dev or runtime dependencies, with no extra flags. */
function addCommand(scenario: Scenario, specs: string[], dev: boolean): string[] {
  switch (scenario.packageManager.name) {
    case 'npm':
      // --no-audit/--no-fund only silence the report; they change nothing that is resolved.
      return ['install', '--no-audit', '--no-fund', ...(dev ? ['--save-dev'] : []), ...specs];
    case 'pnpm':
      return ['add', ...(dev ? ['--save-dev'] : []), ...specs];
    case 'yarn':
      // Yarn classic takes a tarball as file:<path>; yarn 4 as the path itself.
      if (!isYarnClassic(scenario)) return ['add', ...(dev ? ['--dev'] : []), ...specs];
      return ['add', '--non-interactive', ...(dev ? ['--dev'] : []), ...specs.map((s) => (s.endsWith('.tgz') ? `file:${s}` : s))];
  }
}

export function cacheKey(scenario: Scenario): string {
  const { packageManager: pmv, base, dependencies, devDependencies, files } = scenario;
  const hash = createHash('sha256')
    .update(JSON.stringify({ PREPARE_FORMAT, node: process.versions.node.split('.')[0], pmv, base, dependencies, devDependencies, files }))
    .digest('hex')
    .slice(0, 12);
  return `${scenario.id}-${hash}`;
}

const preparing = new Map<string, Promise<{ dir: string; reused: boolean }>>();

/** The scenario's prepared workspace (dependencies installed, no Fleet): reused when present, else made now (once per process). */
export function preparedWorkspace(scenario: Scenario): Promise<{ dir: string; reused: boolean }> {
  const key = cacheKey(scenario);
  let pending = preparing.get(key);
  if (!pending) {
    pending = prepare(scenario, join(CACHE_ROOT, key));
    preparing.set(key, pending);
  }
  return pending;
}

async function prepare(scenario: Scenario, dir: string): Promise<{ dir: string; reused: boolean }> {
  if (existsSync(join(dir, '.fleet-compat-ready'))) return { dir, reused: true };
  mkdirSync(CACHE_ROOT, { recursive: true });
  const building = `${dir}.building-${process.pid}-${randomBytes(4).toString('hex')}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  try {
    const ws = await makeWorkspace(scenario, building);
    writeFileSync(join(ws, '.fleet-compat-ready'), `${new Date().toISOString()}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(ws, dir);
    // The same scenario at older versions is not needed any more.
    for (const entry of readdirSync(CACHE_ROOT)) {
      if (entry.startsWith(`${scenario.id}-`) && entry !== basename(dir) && !entry.includes('.building-')) rmSync(join(CACHE_ROOT, entry), { recursive: true, force: true });
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  return { dir, reused: false };
}

const deps = (record: Record<string, string>) => Object.entries(record).map(([name, version]) => `${name}@${version}`);

async function makeWorkspace(scenario: Scenario, parent: string): Promise<string> {
  if (scenario.base.kind === 'written') {
    const ws = join(parent, 'ws');
    write(ws, {
      'package.json': JSON.stringify(
        { name: `fleet-compat-${scenario.id}`, private: true, dependencies: scenario.dependencies, devDependencies: scenario.devDependencies },
        null,
        2,
      ),
      'nx.json': JSON.stringify({ analytics: false }, null, 2),
      'tsconfig.base.json': TSCONFIG,
      ...scenario.files,
      [`${scenario.appRoot}/project.json`]: JSON.stringify(
        { name: scenario.project, root: scenario.appRoot, sourceRoot: `${scenario.appRoot}/src`, projectType: 'application', targets: {} },
        null,
        2,
      ),
    });
    await pm(scenario, ws, ['install', ...(isYarnClassic(scenario) ? ['--non-interactive'] : [])]);
    return ws;
  }
  const { version, name, appName } = scenario.base;
  await ok(
    'npx',
    [
      '-y',
      `create-nx-workspace@${version}`,
      name,
      '--preset=node-monorepo',
      `--appName=${appName}`,
      '--framework=none',
      '--bundler=esbuild',
      '--linter=eslint',
      '--formatter=prettier',
      '--unitTestRunner=none',
      '--e2eTestRunner=none',
      '--docker=false',
      '--nxCloud=skip',
      '--aiAgents=none',
      '--analytics=false',
      '--skipGit',
      '--interactive=false',
      `--packageManager=${scenario.packageManager.name}`,
    ],
    parent,
    {},
    900_000,
  );
  const ws = join(parent, name);
  write(ws, scenario.files ?? {});
  // What a team adds for a TypeORM app, and the Nx version the scenario asks for.
  await pm(scenario, ws, addCommand(scenario, deps(scenario.dependencies), false));
  await pm(scenario, ws, addCommand(scenario, deps(scenario.devDependencies), true));
  return ws;
}

export interface ScratchWorkspace {
  dir: string;
  scenario: Scenario;
  /** Runs the workspace's own Nx. */
  nx(args: string[], env?: NodeJS.ProcessEnv): Promise<Run>;
  /** Runs the installed `fleet` bin, as `npx fleet` would. */
  fleet(args: string[], env?: NodeJS.ProcessEnv): Promise<Run>;
}

/** The installed package's `bin` entry, resolved from the workspace (pnpm's symlinks included). */
function binOf(ws: string, pkg: string, bin: string): string {
  const manifest = join(ws, 'node_modules', pkg, 'package.json');
  const json = JSON.parse(readFileSync(manifest, 'utf8'));
  const entry = typeof json.bin === 'string' ? json.bin : json.bin[bin];
  return join(dirname(manifest), entry);
}

/**
 * A fresh copy of the prepared workspace in `dest`, with the app's sources and Fleet installed
 * from `tarballs`. The install's exit code and output are returned, not thrown: whether Fleet
 * installs with no flags is what the caller asserts.
 */
export async function scratchWorkspace(
  scenario: Scenario,
  dest: string,
  tarballs: { core: string; plugin: string },
): Promise<{ ws: ScratchWorkspace; install: Run; reused: boolean }> {
  const prepared = await preparedWorkspace(scenario);
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dirname(dest), { recursive: true });
  // cp -a: symlinks as they are (pnpm's are relative), every file a copy the run may change.
  execFileSync('cp', ['-a', prepared.dir, dest]);
  rmSync(join(dest, '.fleet-compat-ready'));
  write(dest, appSources(scenario.appRoot, scenario.urlEnv));
  if (scenario.base.kind === 'create-nx-workspace') enableDecorators(join(dest, scenario.appRoot, 'tsconfig.app.json'));
  const [command, args] = packageManager(scenario, addCommand(scenario, [tarballs.core, tarballs.plugin], true));
  const install = await run(command, args, dest, {}, 600_000);
  const nxBin = () => binOf(dest, 'nx', 'nx');
  const ws: ScratchWorkspace = {
    dir: dest,
    scenario,
    nx: (nxArgs, env = {}) => run(process.execPath, [nxBin(), ...nxArgs], dest, env),
    fleet: (fleetArgs, env = {}) => run(process.execPath, [binOf(dest, '@fleet/core', 'fleet'), ...fleetArgs], dest, env),
  };
  return { ws, install, reused: prepared.reused };
}

/** What a TypeORM app adds to a generated app's tsconfig: decorators with metadata. */
function enableDecorators(tsconfigPath: string): void {
  const json = JSON.parse(readFileSync(tsconfigPath, 'utf8'));
  json.compilerOptions = { ...json.compilerOptions, experimentalDecorators: COMPILER_OPTIONS.experimentalDecorators, emitDecoratorMetadata: true };
  writeFileSync(tsconfigPath, JSON.stringify(json, null, 2));
}
