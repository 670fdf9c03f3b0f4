import { visitNotIgnoredFiles, type Tree } from '@nx/devkit';
import { posix } from 'node:path';
import * as ts from 'typescript';

/** A TypeORM DataSource found in a project's code, with what a Fleet config needs from it. */
export interface FoundDataSource {
  /** Workspace-relative path of the module. */
  file: string;
  /** The migrations directory its `migrations` option points at (workspace-relative), if one was found. */
  migrationsDir?: string;
  /** `url: process.env.X`: the variable holding its URL. */
  urlEnv?: string;
  /** `database: 'name'`. */
  database?: string;
  /** `migrationsTableName: 'x'`: TypeORM's history table, for adoption. */
  migrationsTableName?: string;
  /** What could not be read statically, said to the user. */
  notes: string[];
}

const SKIP_DIRS = new Set(['node_modules', 'dist', 'tmp', '.fleet', 'coverage']);

/**
 * Every `new DataSource({...})` (imported from typeorm) in a project's TypeScript, read from the
 * syntax tree, never executed: the options object may be inline or a const in the same file. The
 * `migrations` entries understood are the usual ones: a glob string (relative to the workspace or
 * the project), `__dirname + '/migrations/*.ts'`, `${__dirname}/...`, `join(__dirname, 'migrations', '*.ts')`,
 * and migration classes imported from a directory.
 */
export function findDataSources(tree: Tree, projectRoot: string): FoundDataSource[] {
  const found: FoundDataSource[] = [];
  visitNotIgnoredFiles(tree, projectRoot, (file) => {
    if (!/\.(ts|mts|cts|js)$/.test(file) || /\.(spec|test)\.[cm]?[tj]s$|\.d\.ts$/.test(file)) return;
    if (file.split('/').some((part) => SKIP_DIRS.has(part))) return;
    const source = tree.read(file, 'utf-8');
    if (!source || !source.includes('DataSource') || !source.includes('typeorm')) return;
    const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node) => {
      if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'DataSource') {
        found.push(readDataSource(tree, sf, file, projectRoot, node));
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  });
  return found;
}

function readDataSource(tree: Tree, sf: ts.SourceFile, file: string, projectRoot: string, node: ts.NewExpression): FoundDataSource {
  const result: FoundDataSource = { file, notes: [] };
  const options = objectLiteral(sf, node.arguments?.[0]);
  if (!options) {
    result.notes.push(`${file}: the DataSource options are not an object literal in this file; fill in the config by hand`);
    return result;
  }
  for (const prop of options.properties) {
    if (!ts.isPropertyAssignment(prop) || !prop.name || !ts.isIdentifier(prop.name)) continue;
    const value = prop.initializer;
    switch (prop.name.text) {
      case 'url': {
        const env = processEnv(value);
        if (env) result.urlEnv = env;
        else result.notes.push(`${file}: url is not process.env.<NAME>; set urlEnv in fleet.config.ts`);
        break;
      }
      case 'database':
        if (ts.isStringLiteralLike(value)) result.database = value.text;
        break;
      case 'migrationsTableName':
        if (ts.isStringLiteralLike(value)) result.migrationsTableName = value.text;
        break;
      case 'migrations': {
        const dirs = new Set<string>();
        const entries = ts.isArrayLiteralExpression(value) ? [...value.elements] : [value];
        for (const entry of entries) {
          const dir = migrationsDirOf(tree, sf, file, projectRoot, entry);
          if (dir) dirs.add(dir);
        }
        if (dirs.size === 1) result.migrationsDir = [...dirs][0];
        else if (dirs.size > 1) result.notes.push(`${file}: migrations come from several directories (${[...dirs].join(', ')}); Fleet takes one per track`);
        break;
      }
    }
  }
  return result;
}

/** The object literal an argument is, or the const it names in the same file. */
function objectLiteral(sf: ts.SourceFile, arg: ts.Expression | undefined): ts.ObjectLiteralExpression | undefined {
  if (!arg) return undefined;
  arg = unwrap(arg);
  if (ts.isObjectLiteralExpression(arg)) return arg;
  if (!ts.isIdentifier(arg)) return undefined;
  let found: ts.ObjectLiteralExpression | undefined;
  const visit = (node: ts.Node) => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === (arg as ts.Identifier).text && node.initializer) {
      const init = unwrap(node.initializer);
      if (ts.isObjectLiteralExpression(init)) found = init;
    }
    if (!found) ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

function unwrap(e: ts.Expression): ts.Expression {
  while (ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isParenthesizedExpression(e) || ts.isTypeAssertionExpression(e)) e = e.expression;
  return e;
}

function processEnv(e: ts.Expression): string | undefined {
  e = unwrap(e);
  if (ts.isBinaryExpression(e) && (e.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || e.operatorToken.kind === ts.SyntaxKind.BarBarToken)) return processEnv(e.left);
  if (ts.isNonNullExpression(e)) return processEnv(e.expression);
  if (ts.isPropertyAccessExpression(e) && e.expression.getText() === 'process.env') return e.name.text;
  if (ts.isElementAccessExpression(e) && e.expression.getText() === 'process.env' && ts.isStringLiteralLike(e.argumentExpression)) return e.argumentExpression.text;
  return undefined;
}

/** A glob or path as TypeORM reads it, cut at its first wildcard, to the directory it names. */
function globDirectory(glob: string): string {
  const parts = glob.split('/');
  const cut = parts.findIndex((p) => /[*?{[]/.test(p));
  const kept = cut < 0 ? parts : parts.slice(0, cut);
  if (cut < 0 && /\.[cm]?[tj]s$/.test(kept[kept.length - 1] ?? '')) kept.pop();
  return kept.join('/') || '.';
}

function migrationsDirOf(tree: Tree, sf: ts.SourceFile, file: string, projectRoot: string, entry: ts.Expression): string | undefined {
  const fileDir = posix.dirname(file);
  const e = unwrap(entry);
  const existing = (candidates: string[]) => candidates.map((c) => posix.normalize(c)).find((c) => tree.exists(c) && !tree.isFile(c));
  // 'src/migrations/*.ts': TypeORM resolves it from the process's working directory, which is
  // the workspace root under Nx and often the project root under a package script.
  if (ts.isStringLiteralLike(e)) {
    const dir = globDirectory(e.text);
    return dir.startsWith('/') ? undefined : existing([dir, posix.join(projectRoot, dir), posix.join(fileDir, dir)]);
  }
  // __dirname + '/migrations/*.ts'
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken && e.left.getText() === '__dirname' && ts.isStringLiteralLike(e.right)) {
    return existing([posix.join(fileDir, globDirectory(e.right.text.replace(/^\//, '')))]);
  }
  // `${__dirname}/migrations/*.ts`
  if (ts.isTemplateExpression(e) && e.head.text === '' && e.templateSpans.length === 1 && e.templateSpans[0].expression.getText() === '__dirname') {
    return existing([posix.join(fileDir, globDirectory(e.templateSpans[0].literal.text.replace(/^\//, '')))]);
  }
  // join(__dirname, 'migrations', '*.ts') / path.resolve(__dirname, ...)
  if (ts.isCallExpression(e) && /(^|\.)(join|resolve)$/.test(e.expression.getText()) && e.arguments[0]?.getText() === '__dirname') {
    const rest = e.arguments.slice(1);
    if (!rest.every((a) => ts.isStringLiteralLike(a))) return undefined;
    return existing([posix.join(fileDir, globDirectory(rest.map((a) => (a as ts.StringLiteralLike).text).join('/')))]);
  }
  // CreateUsers1700000000000: a class imported from its migration file.
  if (ts.isIdentifier(e)) {
    for (const statement of sf.statements) {
      if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier) || !statement.moduleSpecifier.text.startsWith('.')) continue;
      const names = statement.importClause?.namedBindings;
      const imported = statement.importClause?.name?.text === e.text || (names && ts.isNamedImports(names) && names.elements.some((el) => el.name.text === e.text));
      if (!imported) continue;
      const target = posix.join(fileDir, statement.moduleSpecifier.text);
      return existing([target, posix.dirname(target)]); // a barrel directory, or the migration's own file
    }
  }
  return undefined;
}
