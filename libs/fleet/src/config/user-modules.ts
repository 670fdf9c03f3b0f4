/**
 * The user's files (fleet.config.ts, TypeORM data sources, migrations, and the entities and
 * helpers they import) are TypeScript. They are loaded by a loader scoped to them: a jiti
 * instance with its own `require` for these files, TypeScript compiled by the TypeScript compiler
 * with decorator metadata (TypeORM entities rely on `design:type`), the workspace's tsconfig
 * `paths` as aliases. Nothing process-wide is registered: an app that imports @fleet/core keeps
 * its own `require`. Compiled output is cached on disk by content, so the TypeScript compiler is
 * loaded only when a file changed.
 *
 * Under Jest every require is already transformed by Jest (and must stay in Jest's module
 * registry), so user files are required as they are.
 */
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
type Jiti = ReturnType<typeof import('jiti').createJiti>;

/** Bumped when the compile options below change, so outputs cached under the old ones are not reused. */
const TRANSFORM_VERSION = 1;

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
  loader = createJiti(join(root, '__fleet_user_modules__.js'), {
    // Shared with Node's require cache: @fleet/core, typeorm and the app's own compiled modules
    // are the very instances the engine uses (one TypeORM metadata storage, one DataSource class).
    moduleCache: true,
    // Outputs depend on the compile options: one cache per set of them.
    fsCache: cacheDir(root, strictNullChecks),
    interopDefault: false,
    alias: tsconfigAliases(root),
    transform: (options) => compileTypeScript(options, strictNullChecks),
  });
  return loader;
}

/** TypeScript (or an ES module in JavaScript) to CommonJS, with legacy decorators and their metadata, as TypeORM expects. */
function compileTypeScript(options: { source: string; filename?: string }, strictNullChecks: boolean | undefined): { code: string } {
  const ts = typeScriptCompiler(options.filename);
  const out = ts.transpileModule(options.source, {
    fileName: options.filename,
    reportDiagnostics: false,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      useDefineForClassFields: false,
      esModuleInterop: true,
      allowJs: true,
      // `name: string | null` is `design:type` Object under strict null checks, String without:
      // compile as the project's own build does, so TypeORM sees the metadata the app sees.
      ...(strictNullChecks === undefined ? {} : { strictNullChecks }),
      inlineSourceMap: true,
      inlineSources: true,
    },
  });
  return { code: out.outputText };
}

type TypeScript = typeof import('typescript');
let compiler: TypeScript | undefined;

/** The project's own TypeScript first (its version compiles its code), else the one installed next to Fleet. */
function typeScriptCompiler(filename: string | undefined): TypeScript {
  if (compiler) return compiler;
  const attempts = [filename ? createRequire(filename) : undefined, require].filter(Boolean) as NodeJS.Require[];
  for (const req of attempts) {
    try {
      compiler = req('typescript') as TypeScript;
      return compiler;
    } catch {
      // try the next place
    }
  }
  throw new Error(
    `Loading ${filename ?? 'a TypeScript file'} needs the TypeScript compiler: install it in the project (npm install --save-dev typescript), or point the Fleet config at compiled JavaScript.`,
  );
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
