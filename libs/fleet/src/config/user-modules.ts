/**
 * The user's files (fleet.config.ts, TypeORM data sources, migrations, and the entities and
 * helpers they import) are TypeScript. They are loaded by a loader scoped to them: a jiti
 * instance with its own `require` for these files, TypeScript compiled by swc with legacy
 * decorators and their metadata (TypeORM entities rely on `design:type`; see
 * typescript-source.ts), the workspace's tsconfig `paths` as aliases. The `typescript` package is
 * not used (TypeScript 7 has no JavaScript API): a project may have any TypeScript, or none.
 * Nothing process-wide is registered: an app that imports @fleet/core keeps its own `require`.
 * Compiled output is cached on disk by content, and a file that changed is compiled in a child
 * process (compiled-files.ts): the process that migrates never loads swc.
 *
 * Under Jest every require is already transformed by Jest (and must stay in Jest's module
 * registry), so user files are required as they are.
 */
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { CompiledFiles, TRANSFORM_VERSION } from './compiled-files';
type Jiti = ReturnType<typeof import('jiti').createJiti>;

let loader: Jiti | undefined;
let loaderRoot: string | undefined;

/** Loads one user module (CommonJS exports, or an ES module's namespace) by absolute path. */
export function loadUserModule<T = Record<string, unknown>>(file: string): T {
  if (process.env.JEST_WORKER_ID !== undefined) return require(file) as T;
  return userLoader(file)(file) as T;
}

function userLoader(file: string): Jiti {
  const root = projectRoot(dirname(file));
  if (loader && loaderRoot === root) return loader;
  const { createJiti } = require('jiti') as typeof import('jiti');
  loaderRoot = root;
  const strictNullChecks = nullChecks(root);
  // Outputs depend on the compile options: one cache per set of them.
  const compiled = new CompiledFiles({ dir: cacheDir(root, strictNullChecks), strictNullChecks });
  loader = createJiti(join(root, '__fleet_user_modules__.js'), {
    // Shared with Node's require cache: @fleet/core, typeorm and the app's own compiled modules
    // are the very instances the engine uses (one TypeORM metadata storage, one DataSource class).
    moduleCache: true,
    fsCache: false, // compiled.code() caches
    interopDefault: false,
    alias: tsconfigAliases(root),
    transform: (options) => ({ code: compiled.code(options.filename ?? join(root, 'module.ts'), options.source) }),
  });
  return loader;
}

/** The directory of the nearest package.json or tsconfig above `dir` that is a workspace or project root. */
function projectRoot(dir: string): string {
  let found: string | undefined;
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, 'nx.json')) || existsSync(join(d, 'package-lock.json')) || existsSync(join(d, '.git'))) return d;
    if (!found && (existsSync(join(d, 'package.json')) || existsSync(join(d, 'tsconfig.json')))) found = d;
    if (dirname(d) === d) return found ?? resolve(dir);
  }
}

function cacheDir(root: string, strictNullChecks: boolean | undefined): string {
  const modules = join(root, 'node_modules');
  const variant = strictNullChecks === undefined ? '' : strictNullChecks ? '-strict' : '-loose';
  return join(existsSync(modules) ? join(modules, '.cache') : tmpdir(), `fleet-ts-${TRANSFORM_VERSION}${variant}`);
}

/** The project's strictNullChecks (or strict), when its tsconfig says. */
function nullChecks(root: string): boolean | undefined {
  const file = rootTsconfig(root);
  if (!file) return undefined;
  const options = compilerOptionsOf(file, 0);
  return (options.strictNullChecks ?? options.strict) as boolean | undefined;
}

function rootTsconfig(root: string): string | undefined {
  return ['tsconfig.base.json', 'tsconfig.json'].map((f) => join(root, f)).find((f) => existsSync(f));
}

/**
 * tsconfig `paths` (the Nx way to import a library: `@acme/models` -> libs/models/src/index.ts) as
 * prefix aliases. Read from the root's tsconfig.base.json or tsconfig.json, following `extends`.
 */
export function tsconfigAliases(root: string): Record<string, string> {
  const file = rootTsconfig(root);
  if (!file) return {};
  const options = compilerOptionsOf(file, 0);
  const paths = options.paths as Record<string, string[]> | undefined;
  const base = options.pathsBase as string;
  const aliases: Record<string, string> = {};
  for (const [pattern, targets] of Object.entries(paths ?? {})) {
    const target = targets[0];
    if (!target) continue;
    if (pattern.endsWith('/*') && target.endsWith('/*')) aliases[pattern.slice(0, -1)] = `${resolve(base, target.slice(0, -2))}/`;
    else if (!pattern.includes('*')) aliases[pattern] = resolve(base, target);
  }
  return aliases;
}

type CompilerOptions = Record<string, unknown>;

/**
 * A tsconfig's compilerOptions merged over those it `extends` (relative paths only), with
 * `pathsBase`: the directory its `paths` are relative to.
 */
function compilerOptionsOf(file: string, depth: number): CompilerOptions {
  let json: { extends?: unknown; compilerOptions?: CompilerOptions };
  try {
    json = JSON.parse(stripJsonComments(readFileSync(file, 'utf8')));
  } catch {
    return {};
  }
  let inherited: CompilerOptions = {};
  if (typeof json.extends === 'string' && json.extends.startsWith('.') && depth < 5) {
    const parent = resolve(dirname(file), json.extends.endsWith('.json') ? json.extends : `${json.extends}.json`);
    if (existsSync(parent)) inherited = compilerOptionsOf(parent, depth + 1);
  }
  const own = json.compilerOptions ?? {};
  const merged: CompilerOptions = { ...inherited, ...own };
  if (own.paths) merged.pathsBase = resolve(dirname(file), typeof own.baseUrl === 'string' ? own.baseUrl : '.');
  return merged;
}

/** tsconfig is JSON with comments and trailing commas. */
export function stripJsonComments(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2);
      if (i < 0) break;
      i++;
    } else out += c;
  }
  return out.replace(/,(\s*[}\]])/g, '$1');
}
