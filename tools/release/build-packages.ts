/**
 * Builds the publishable packages from this workspace, and packs them:
 *   npm run build            -> dist/libs/fleet (@fleet/core), dist/tools/nx-plugin (@fleet/nx-plugin)
 *   npm run pack             -> the same, then dist/packages/fleet-core-<v>.tgz, fleet-nx-plugin-<v>.tgz
 *   ... build-packages.ts [core|nx-plugin] [--pack [--dest <dir>]]
 * Each package is compiled JavaScript with type declarations and a package.json written here:
 * dependencies where they are used (versions from this lockfile's workspace), typeorm, pg, nx and
 * @fleet/core (for the plugin) as peer dependencies at the ranges the compatibility suite runs
 * (tools/nx-plugin/test/compat.e2e.spec.ts). The packages run compiled JavaScript: no ts-node or
 * swc-node hook; @swc/core is a dependency of @fleet/core only to compile the user's own .ts files.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const rootPackage = readJson(join(ROOT, 'package.json'));

interface PackageBuild {
  name: string;
  source: string;
  out: string;
  tsconfig: string;
  files(out: string): void;
  manifest(): Record<string, unknown>;
}

/** What every published manifest says first: the workspace package's name, version and description, the repo's license and engines. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function identity(source: any, keywords: string[]): Record<string, unknown> {
  return { name: source.name, version: source.version, description: source.description, license: rootPackage.license, keywords, engines: rootPackage.engines };
}

const core: PackageBuild = {
  name: '@fleet/core',
  source: 'libs/fleet',
  out: 'dist/libs/fleet',
  tsconfig: 'libs/fleet/tsconfig.lib.json',
  files(out) {
    mkdirSync(join(out, 'bin'), { recursive: true });
    copyFileSync(join(ROOT, 'libs/fleet/bin/fleet.js'), join(out, 'bin/fleet.js'));
    copyFileSync(join(ROOT, 'README.md'), join(out, 'README.md'));
  },
  manifest() {
    const source = readJson(join(ROOT, 'libs/fleet/package.json'));
    return {
      ...identity(source, ['typeorm', 'postgresql', 'migrations', 'multi-tenant', 'nx']),
      main: 'index.js',
      types: 'index.d.ts',
      bin: { fleet: 'bin/fleet.js' },
      exports: {
        '.': { types: './index.d.ts', default: './index.js' },
        './testing': { types: './testing/index.d.ts', default: './testing/index.js' },
        './package.json': './package.json',
        './*': { types: './*.d.ts', default: './*.js' },
      },
      dependencies: source.dependencies,
      peerDependencies: source.peerDependencies,
      peerDependenciesMeta: source.peerDependenciesMeta,
    };
  },
};

const nxPlugin: PackageBuild = {
  name: '@fleet/nx-plugin',
  source: 'tools/nx-plugin',
  out: 'dist/tools/nx-plugin',
  tsconfig: 'tools/nx-plugin/tsconfig.lib.json',
  files(out) {
    for (const file of ['executors.json', 'generators.json']) copyFileSync(join(ROOT, 'tools/nx-plugin', file), join(out, file));
    // Option schemas and generator templates sit next to the compiled code, as in the sources.
    copyMatching(join(ROOT, 'tools/nx-plugin/src'), join(out, 'src'), (path) => path.endsWith('schema.json') || path.split('/').includes('files'));
    copyFileSync(join(ROOT, 'tools/nx-plugin/README.md'), join(out, 'README.md'));
  },
  manifest() {
    const source = readJson(join(ROOT, 'tools/nx-plugin/package.json'));
    return {
      ...identity(source, ['nx', 'nx-plugin', 'typeorm', 'postgresql', 'migrations']),
      main: 'src/index.js',
      types: 'src/index.d.ts',
      executors: './executors.json',
      generators: './generators.json',
      dependencies: source.dependencies,
      // A peer, not a dependency: the sibling tarball (or a workspace's own copy) satisfies it. As a
      // dependency by version, pnpm and yarn looked @fleet/core up on the registry and failed.
      peerDependencies: { '@fleet/core': `^${readJson(join(ROOT, 'libs/fleet/package.json')).version}`, ...source.peerDependencies },
      peerDependenciesMeta: source.peerDependenciesMeta,
    };
  },
};

const PACKAGES: Record<string, PackageBuild> = { core, 'nx-plugin': nxPlugin };

function build(pkg: PackageBuild): string {
  const out = join(ROOT, pkg.out);
  rmSync(out, { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', pkg.tsconfig], { cwd: ROOT, encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`${pkg.name}: tsc failed\n${tsc.stdout}${tsc.stderr}`);
  pkg.files(out);
  const manifest = pkg.manifest();
  for (const key of Object.keys(manifest)) if (manifest[key] === undefined) delete manifest[key];
  writeFileSync(join(out, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  copyFileSync(join(ROOT, 'LICENSE'), join(out, 'LICENSE'));
  return out;
}

function pack(out: string, dest = join(ROOT, 'dist/packages')): string {
  mkdirSync(dest, { recursive: true });
  const npm = spawnSync('npm', ['pack', '--silent', '--pack-destination', dest], { cwd: out, encoding: 'utf8' });
  if (npm.status !== 0) throw new Error(`npm pack failed in ${out}\n${npm.stdout}${npm.stderr}`);
  return join(dest, npm.stdout.trim().split('\n').pop() as string);
}

function copyMatching(from: string, to: string, wanted: (relativePath: string) => boolean): void {
  for (const entry of readdirSync(from, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const rel = relative(from, path);
    if (!wanted(rel)) continue;
    mkdirSync(dirname(join(to, rel)), { recursive: true });
    cpSync(path, join(to, rel));
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function readJson(file: string): any {
  return JSON.parse(readFileSync(file, 'utf8'));
}

export function buildPackages(names: string[], options: { pack?: boolean; dest?: string } = {}): { name: string; dir: string; tarball?: string }[] {
  const chosen = names.length ? names : Object.keys(PACKAGES);
  const unknown = chosen.filter((n) => !PACKAGES[n]);
  if (unknown.length) throw new Error(`unknown package ${unknown.join(', ')} (packages: ${Object.keys(PACKAGES).join(', ')})`);
  // The plugin compiles against @fleet/core's declarations: core first.
  const ordered = Object.keys(PACKAGES).filter((n) => chosen.includes(n));
  if (ordered.includes('nx-plugin') && !ordered.includes('core') && !existsSync(join(ROOT, core.out, 'index.d.ts'))) ordered.unshift('core');
  return ordered.map((n) => {
    const dir = build(PACKAGES[n]);
    return { name: PACKAGES[n].name, dir, tarball: options.pack ? pack(dir, options.dest) : undefined };
  });
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const dest = args.includes('--dest') ? args[args.indexOf('--dest') + 1] : undefined;
  const built = buildPackages(
    args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--dest'),
    { pack: args.includes('--pack'), dest: dest && resolve(dest) },
  );
  for (const b of built) process.stdout.write(`${b.name}: ${relative(ROOT, b.dir)}${b.tarball ? ` -> ${relative(ROOT, b.tarball)}` : ''}\n`);
}
