import { visitNotIgnoredFiles, type Tree } from '@nx/devkit';
import { parseTypeScript, walk, type ParsedSource } from '@fleet/core/config/typescript-source';
import type { Expression, Module, ObjectExpression } from '@swc/core';
import { posix } from 'node:path';

/** A TypeORM DataSource found in a project's code, with what a Fleet config needs from it. */
export interface FoundDataSource {
  /** Workspace-relative path of the module. */
  file: string;
  /** The migrations directory its `migrations` option points at (workspace-relative), if one was found. */
  migrationsDir?: string;
  /** `url: process.env.X`: the variable holding its URL. */
  urlEnv?: string;
  /** The database name: `database: 'name'`, the fallback of `process.env.X ?? 'name'`, or the path of a literal `url`. */
  database?: string;
  /** `database: process.env.X` (with or without a fallback): the variable naming the database. */
  databaseEnv?: string;
  /** `schema: 'name'`: where TypeORM keeps its tables. */
  schema?: string;
  /** How the DataSource reaches its server (host, port, username, password), said in the config (Fleet reads PGHOST...). Passwords only by variable. */
  connection?: { option: string; env?: string; literal?: string }[];
  /** `migrationsTableName: 'x'`: TypeORM's history table, for adoption. */
  migrationsTableName?: string;
  /** What could not be read statically, said to the user. */
  notes: string[];
}

const SKIP_DIRS = new Set(['node_modules', 'dist', 'tmp', '.fleet', 'coverage']);

/** The node shapes read here (swc's AST, loosely typed: only the fields used). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = any;

/**
 * Every `new DataSource({...})` (imported from typeorm) in a project's TypeScript, read from the
 * syntax tree, never executed. The options may be inline, a const in the same file, or spread
 * from such consts (`{ ...base, database: 'x' }`; later properties win, as at run time). Each
 * option may be a literal, `process.env.X`, `process.env.X ?? 'fallback'` (or `||`), wrapped in
 * `Number()`/`String()`/`parseInt()` or a type assertion. The `migrations` entries understood
 * are the usual ones: a glob string (relative to the workspace or the project),
 * `__dirname + '/migrations/*.ts'`, `${__dirname}/...`, `join(__dirname, 'migrations', '*.ts')`,
 * and migration classes imported from a directory.
 */
export function findDataSources(tree: Tree, projectRoot: string): FoundDataSource[] {
  const found: FoundDataSource[] = [];
  visitNotIgnoredFiles(tree, projectRoot, (file) => {
    if (!/\.(ts|mts|cts|js)$/.test(file) || /\.(spec|test)\.[cm]?[tj]s$|\.d\.ts$/.test(file)) return;
    if (file.split('/').some((part) => SKIP_DIRS.has(part))) return;
    const source = tree.read(file, 'utf-8');
    if (!source || !source.includes('DataSource') || !source.includes('typeorm')) return;
    let parsed: ParsedSource;
    try {
      parsed = parseTypeScript(source, file);
    } catch (err) {
      found.push({ file, notes: [`${(err as Error).message.split('\n').slice(0, 4).join(' ')}; fill in the config by hand`] });
      return;
    }
    walk(parsed.module, (node) => {
      const n = node as Node;
      if (n.type === 'NewExpression' && n.callee.type === 'Identifier' && n.callee.value === 'DataSource') {
        found.push(readDataSource(tree, parsed.module, file, projectRoot, n.arguments?.[0]?.expression));
      }
    });
  });
  return found;
}

function readDataSource(tree: Tree, module: Module, file: string, projectRoot: string, arg: Expression | undefined): FoundDataSource {
  const result: FoundDataSource = { file, notes: [] };
  const options = optionsOf(module, arg, result.notes, file, 0);
  if (!options) {
    result.notes.push(`${file}: the DataSource options are not an object literal in this file; fill in the config by hand`);
    return result;
  }
  const url = options.get('url');
  if (url) {
    const value = valueOf(module, url);
    if (value.env) result.urlEnv = value.env;
    const literalUrl = typeof value.literal === 'string' ? value.literal : value.fallback;
    const urlDatabase = literalUrl === undefined ? undefined : databaseOfUrl(literalUrl);
    if (urlDatabase) result.database = urlDatabase;
    if (!value.env) result.notes.push(`${file}: url is not process.env.<NAME>; set urlEnv in fleet.config.ts to the variable Fleet should read it from`);
  }
  const database = options.get('database');
  if (database) {
    const value = valueOf(module, database);
    if (value.env) result.databaseEnv = value.env;
    const name = typeof value.literal === 'string' ? value.literal : value.fallback;
    if (name !== undefined) result.database = name;
    if (!value.env && name === undefined) result.notes.push(`${file}: database is neither a string nor process.env.<NAME>; set database in fleet.config.ts`);
  }
  const schema = options.get('schema') && valueOf(module, options.get('schema') as Expression);
  if (schema) {
    const name = typeof schema.literal === 'string' ? schema.literal : schema.fallback;
    if (name !== undefined) result.schema = name;
    if (schema.env) result.notes.push(`${file}: schema comes from ${schema.env}; fleet.config.ts names one schema (${name ?? 'public'}): check it`);
  }
  const connection: { option: string; env?: string; literal?: string }[] = [];
  for (const option of ['host', 'port', 'username', 'password']) {
    const expression = options.get(option);
    const value = expression && valueOf(module, expression);
    if (!value) continue;
    const literal = value.literal === undefined ? value.fallback : String(value.literal);
    if (value.env || literal !== undefined) connection.push({ option, env: value.env, literal: option === 'password' ? undefined : literal });
  }
  if (connection.length) result.connection = connection;
  const table = options.get('migrationsTableName') && valueOf(module, options.get('migrationsTableName') as Expression);
  if (table && typeof table.literal === 'string') result.migrationsTableName = table.literal;
  const migrations = options.get('migrations');
  if (migrations) {
    const value = unwrap(migrations);
    const entries: Node[] = value.type === 'ArrayExpression' ? value.elements.filter(Boolean).map((e: Node) => e.expression) : [value];
    const dirs = new Set<string>();
    for (const entry of entries) {
      const dir = migrationsDirOf(tree, module, file, projectRoot, entry);
      if (dir) dirs.add(dir);
    }
    if (dirs.size === 1) result.migrationsDir = [...dirs][0];
    else if (dirs.size > 1) result.notes.push(`${file}: migrations come from several directories (${[...dirs].join(', ')}); Fleet takes one per track`);
  }
  return result;
}

/**
 * The options an argument holds, by name (the last one written wins, as in JavaScript): an
 * object literal, or the const it names in this file, with spreads of such consts merged in.
 */
function optionsOf(module: Module, arg: Expression | undefined, notes: string[], file: string, depth: number): Map<string, Expression> | undefined {
  if (!arg || depth > 5) return undefined;
  const object = objectLiteral(module, arg);
  if (!object) return undefined;
  const options = new Map<string, Expression>();
  for (const prop of object.properties as Node[]) {
    if (prop.type === 'KeyValueProperty') {
      const name = propertyName(prop.key);
      if (name !== undefined) options.set(name, prop.value);
    } else if (prop.type === 'Identifier') {
      // { database }: the const of that name
      const init = constInit(module, prop.value);
      if (init) options.set(prop.value, init);
    } else if (prop.type === 'SpreadElement') {
      const spread = optionsOf(module, prop.arguments, notes, file, depth + 1);
      if (spread) for (const [name, value] of spread) options.set(name, value);
      else notes.push(`${file}: options spread from something other than an object in this file are not read; check the config`);
    }
  }
  return options;
}

function objectLiteral(module: Module, e: Expression): ObjectExpression | undefined {
  const value = unwrap(e);
  if (value.type === 'ObjectExpression') return value;
  if (value.type === 'Identifier') {
    const init = constInit(module, value.value);
    return init && unwrap(init).type === 'ObjectExpression' ? unwrap(init) : undefined;
  }
  return undefined;
}

function propertyName(key: Node): string | undefined {
  if (key.type === 'Identifier' || key.type === 'StringLiteral') return key.value;
  if (key.type === 'Computed' && key.expression.type === 'StringLiteral') return key.expression.value;
  return undefined;
}

/** The initializer of the variable declared with this name in the module (the first found). */
function constInit(module: Module, name: string): Expression | undefined {
  let found: Expression | undefined;
  walk(module, (node) => {
    if (found) return false;
    const n = node as Node;
    if (n.type === 'VariableDeclarator' && n.id.type === 'Identifier' && n.id.value === name && n.init) found = n.init;
    return undefined;
  });
  return found;
}

function unwrap(e: Expression): Node {
  let n: Node = e;
  while (['TsAsExpression', 'TsSatisfiesExpression', 'ParenthesisExpression', 'TsTypeAssertion', 'TsConstAssertion', 'TsNonNullExpression'].includes(n.type)) n = n.expression;
  return n;
}

/** What an option's value is: a literal, an environment variable, or a variable with a fallback. */
interface OptionValue {
  literal?: string | number | boolean;
  env?: string;
  fallback?: string;
}

function valueOf(module: Module, e: Expression, depth = 0): OptionValue {
  const n = unwrap(e);
  const text = stringOf(n);
  if (text !== undefined) return { literal: text };
  if (n.type === 'NumericLiteral' || n.type === 'BooleanLiteral') return { literal: n.value };
  const env = envVariable(n);
  if (env) return { env };
  if (n.type === 'BinaryExpression' && (n.operator === '??' || n.operator === '||')) {
    const left = valueOf(module, n.left, depth + 1);
    const right = valueOf(module, n.right, depth + 1);
    if (left.env) return { env: left.env, fallback: right.literal === undefined ? right.fallback : String(right.literal) };
    return left.literal !== undefined ? left : right;
  }
  // Number(process.env.PORT), parseInt(process.env.PORT ?? '5432', 10), String(...)
  if (n.type === 'CallExpression' && n.callee.type === 'Identifier' && ['Number', 'String', 'parseInt', 'parseFloat'].includes(n.callee.value) && n.arguments[0]) {
    return valueOf(module, n.arguments[0].expression, depth + 1);
  }
  if (n.type === 'Identifier' && depth < 5) {
    const init = constInit(module, n.value);
    if (init) return valueOf(module, init, depth + 1);
  }
  return {};
}

function stringOf(n: Node): string | undefined {
  if (n.type === 'StringLiteral') return n.value;
  if (n.type === 'TemplateLiteral' && n.expressions.length === 0) return n.quasis[0]?.cooked ?? undefined;
  return undefined;
}

/** `process.env.X` or `process.env['X']`: X. */
function envVariable(n: Node): string | undefined {
  if (n.type !== 'MemberExpression') return undefined;
  const object = n.object;
  if (object.type !== 'MemberExpression' || object.object.type !== 'Identifier' || object.object.value !== 'process') return undefined;
  if (object.property.type !== 'Identifier' || object.property.value !== 'env') return undefined;
  if (n.property.type === 'Identifier') return n.property.value;
  if (n.property.type === 'Computed') return stringOf(n.property.expression);
  return undefined;
}

/** `postgres://user@host:5432/shop?sslmode=require`: shop. */
function databaseOfUrl(url: string): string | undefined {
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*\/([^?#]+)/i.exec(url);
  return match ? decodeURIComponent(match[1]) : undefined;
}

/** A glob or path as TypeORM reads it, cut at its first wildcard, to the directory it names. */
function globDirectory(glob: string): string {
  const parts = glob.split('/');
  const cut = parts.findIndex((p) => /[*?{[]/.test(p));
  const kept = cut < 0 ? parts : parts.slice(0, cut);
  if (cut < 0 && /\.[cm]?[tj]s$/.test(kept[kept.length - 1] ?? '')) kept.pop();
  return kept.join('/') || '.';
}

const isDirname = (n: Node | undefined) => n?.type === 'Identifier' && n.value === '__dirname';

function migrationsDirOf(tree: Tree, module: Module, file: string, projectRoot: string, entry: Expression): string | undefined {
  const fileDir = posix.dirname(file);
  const e = unwrap(entry);
  const existing = (candidates: string[]) => candidates.map((c) => posix.normalize(c)).find((c) => tree.exists(c) && !tree.isFile(c));
  // 'src/migrations/*.ts': TypeORM resolves it from the process's working directory, which is
  // the workspace root under Nx and often the project root under a package script.
  const text = stringOf(e);
  if (text !== undefined) {
    const dir = globDirectory(text);
    return dir.startsWith('/') ? undefined : existing([dir, posix.join(projectRoot, dir), posix.join(fileDir, dir)]);
  }
  // __dirname + '/migrations/*.ts'
  if (e.type === 'BinaryExpression' && e.operator === '+' && isDirname(unwrap(e.left)) && stringOf(unwrap(e.right)) !== undefined) {
    return existing([posix.join(fileDir, globDirectory((stringOf(unwrap(e.right)) as string).replace(/^\//, '')))]);
  }
  // `${__dirname}/migrations/*.ts`
  if (e.type === 'TemplateLiteral' && e.expressions.length === 1 && (e.quasis[0]?.cooked ?? '') === '' && isDirname(e.expressions[0])) {
    return existing([posix.join(fileDir, globDirectory((e.quasis[1]?.cooked ?? '').replace(/^\//, '')))]);
  }
  // join(__dirname, 'migrations', '*.ts') / path.resolve(__dirname, ...)
  if (e.type === 'CallExpression') {
    const callee = e.callee.type === 'MemberExpression' ? e.callee.property : e.callee;
    if (callee.type !== 'Identifier' || !['join', 'resolve'].includes(callee.value) || !isDirname(e.arguments[0]?.expression)) return undefined;
    const rest = e.arguments.slice(1).map((a: Node) => (a.spread ? undefined : stringOf(unwrap(a.expression))));
    if (!rest.every((r: string | undefined) => r !== undefined)) return undefined;
    return existing([posix.join(fileDir, globDirectory(rest.join('/')))]);
  }
  // CreateUsers1700000000000: a class imported from its migration file.
  if (e.type === 'Identifier') {
    for (const statement of module.body as Node[]) {
      if (statement.type !== 'ImportDeclaration' || !statement.source.value.startsWith('.')) continue;
      const imported = statement.specifiers.some((s: Node) => s.local?.value === e.value);
      if (!imported) continue;
      const target = posix.join(fileDir, statement.source.value);
      return existing([target, posix.dirname(target)]); // a barrel directory, or the migration's own file
    }
  }
  return undefined;
}
