/**
 * The tenant-track lint, pure: SQL texts in, findings out. A tenant track's migration must act on
 * its own tenant only, so its statements may not name another schema (`"public".x`, which
 * `typeorm migration:generate` writes for enum types and in `down`), change the session
 * (`SET search_path`, `SET ROLE`), or install an extension into a tenant. The SQL is parsed with
 * PostgreSQL's own parser (libpg-query), never matched as text.
 */
import { pgQuery } from './pg-parser';
import { names, walk, type Node } from './parse-tree';

export type LintRule = 'schema-qualified' | 'other-schema' | 'set-search-path' | 'set-role' | 'create-extension' | 'unparsable' | 'not-checked' | 'risky-sql';
export type LintSeverity = 'error' | 'warning' | 'info';

export interface LintFinding {
  migration: string;
  rule: LintRule;
  severity: LintSeverity;
  /** The statement, shortened for reading. */
  statement: string;
  message: string;
  /** create-extension: the extension Fleet installs in the shared schema before tenants run. */
  extension?: string;
  /** The migration's file, relative to the workspace (set by the command, for --fix and messages). */
  source?: string;
  /** risky-sql: the rule's stable code (FLEET101...; lint/rules.ts). */
  code?: string;
  /** risky-sql: the line in `source` of the call that sent the statement, when known. */
  line?: number | null;
  /** risky-sql: the reason of the suppression comment that turned this finding into a note. */
  suppressed?: string;
}

export interface LintContext {
  /** The tenant's own schema in the run that issued the SQL (qualifying with it is harmless). */
  targetSchema: string;
  /** Schemas every tenant shares on its search_path (extensions live there). */
  sharedSchemas: string[];
  /** Rules the migration opted out of (`lintAllow = ['schema-qualified']` on its class). */
  allow?: readonly string[];
}

/** Schemas any statement may name: the system catalogs. */
const SYSTEM_SCHEMAS = new Set(['pg_catalog', 'information_schema']);

/** Property names whose value is a dotted name as a list of strings (`schema.name`). */
const NAME_LISTS = new Set(['names', 'funcname', 'typeName', 'defnames', 'domainname', 'collname', 'conversion_name']);

/** Lints the SQL one migration issued on a tenant. */
export async function lintStatements(migration: string, sqls: readonly string[], ctx: LintContext): Promise<LintFinding[]> {
  const findings: LintFinding[] = [];
  const allowed = new Set([ctx.targetSchema, ...ctx.sharedSchemas, ...SYSTEM_SCHEMAS]);
  for (const sql of sqls) {
    let tree: { stmts?: Array<{ stmt: Node; stmt_location?: number; stmt_len?: number }> };
    try {
      tree = (await (await pgQuery()).parse(sql)) as typeof tree;
    } catch (err) {
      findings.push(finding(migration, 'unparsable', 'warning', sql, `PostgreSQL's parser could not read this statement (${(err as Error).message}); it was not checked.`));
      continue;
    }
    for (const { stmt, stmt_location, stmt_len } of tree.stmts ?? []) {
      const text = stmt_len ? sql.slice(stmt_location ?? 0, (stmt_location ?? 0) + stmt_len) : sql.slice(stmt_location ?? 0);
      findings.push(...lintStatement(migration, stmt, text.trim(), allowed, ctx));
    }
  }
  const allow = new Set(ctx.allow ?? []);
  return findings.map((f) =>
    allow.has(f.rule) && f.severity === 'error' ? { ...f, severity: 'info' as const, message: `${f.message} (allowed by the migration's lintAllow)` } : f,
  );
}

function lintStatement(migration: string, stmt: Node, text: string, allowed: Set<string>, ctx: LintContext): LintFinding[] {
  const out: LintFinding[] = [];
  const [kind, body] = Object.entries(stmt)[0] as [string, Node];
  if (kind === 'VariableSetStmt') {
    const name = String(body.name ?? '').toLowerCase();
    if (name === 'search_path') {
      out.push(
        finding(
          migration,
          'set-search-path',
          'error',
          text,
          "changes search_path: Fleet sets it to the tenant's schema (then the shared schemas) for every migration; a migration that changes it acts outside its tenant.",
        ),
      );
    } else if (name === 'role' || name === 'session_authorization') {
      out.push(
        finding(
          migration,
          'set-role',
          'error',
          text,
          'changes the role of the session Fleet migrates with; run it outside the tenant track (or grant the role to the migrating user).',
        ),
      );
    }
    return out;
  }
  if (kind === 'CreateExtensionStmt') {
    const name = String(body.extname);
    const schemaOption = ((body.options as Node[] | undefined) ?? []).map((o) => o.DefElem as Node).find((d) => d?.defname === 'schema');
    const schema = schemaOption ? stringValue(schemaOption.arg as Node) : null;
    if (body.if_not_exists && (schema === null || ctx.sharedSchemas.includes(schema))) {
      out.push({
        ...finding(
          migration,
          'create-extension',
          'info',
          text,
          `extension ${name}: Fleet installs it once in the shared schema before any tenant runs, so this statement is a no-op on every tenant.`,
        ),
        extension: name,
      });
    } else {
      out.push({
        ...finding(
          migration,
          'create-extension',
          'error',
          text,
          schema && !ctx.sharedSchemas.includes(schema)
            ? `installs extension ${name} into schema ${schema}: an extension is database-wide, so it must live in a shared schema (${ctx.sharedSchemas.join(', ') || "the database's own"}). Write CREATE EXTENSION IF NOT EXISTS ${name} without a SCHEMA clause.`
            : `CREATE EXTENSION ${name} without IF NOT EXISTS fails on every tenant after the first (an extension is database-wide). Write CREATE EXTENSION IF NOT EXISTS ${name}: Fleet then installs it once in the shared schema.`,
        ),
        extension: name,
      });
    }
    return out;
  }
  if (kind === 'SelectStmt') {
    // SELECT set_config('search_path', ...) changes the session as SET does.
    walk(body, (key, value) => {
      if (key !== 'FuncCall') return;
      const fn = names((value as Node).funcname);
      const first = ((value as Node).args as Node[] | undefined)?.[0];
      if (fn[fn.length - 1] === 'set_config' && first && stringConst(first)?.toLowerCase() === 'search_path') {
        out.push(
          finding(
            migration,
            'set-search-path',
            'error',
            text,
            'changes search_path with set_config(): Fleet sets it for every migration; a migration that changes it acts outside its tenant.',
          ),
        );
      }
    });
  }
  if (kind === 'CreateSchemaStmt') {
    const name = String(body.schemaname ?? '');
    if (!allowed.has(name))
      out.push(finding(migration, 'other-schema', 'error', text, `creates schema ${name}: a tenant-track migration runs once per tenant and may only change its own schema.`));
    return out;
  }
  const seen = new Set<string>();
  const report = (schema: string) => {
    if (allowed.has(schema) || seen.has(schema)) return;
    seen.add(schema);
    if (schema === 'public') {
      out.push(
        finding(
          migration,
          'schema-qualified',
          'error',
          text,
          'names schema "public" explicitly: run per tenant, it acts on public instead of the tenant (every tenant would share, or fail on, the same object). ' +
            'Drop the qualifier: `fleet lint --fix` removes the "public". that TypeORM\'s generator writes.',
        ),
      );
    } else {
      out.push(
        finding(
          migration,
          'other-schema',
          'error',
          text,
          `names schema ${schema}: a tenant-track migration may only name its own schema and the shared ones (${[...allowed].filter((s) => !SYSTEM_SCHEMAS.has(s)).join(', ')}).`,
        ),
      );
    }
  };
  const columnComment = kind === 'CommentStmt' && body.objtype === 'OBJECT_COLUMN';
  walk(stmt, (key, value) => {
    // A relation (RangeVar) appears as { relname, schemaname? } under its parent's key.
    if (value && typeof value === 'object' && 'relname' in (value as Node) && (value as Node).schemaname) report(String((value as Node).schemaname));
    else if (NAME_LISTS.has(key)) {
      const parts = names(value);
      if (parts.length >= 2) report(parts[parts.length - 2]);
    } else if (key === 'List' && !columnComment) {
      const parts = names((value as Node).items);
      // DROP/ALTER of an index, type or table by a dotted name: schema.name (3 parts: db.schema.name).
      if (parts.length >= 2 && parts.length === ((value as Node).items as unknown[]).length) report(parts[parts.length - 2]);
    }
  });
  return out;
}

function finding(migration: string, rule: LintRule, severity: LintSeverity, statement: string, message: string): LintFinding {
  const flat = statement.replace(/\s+/g, ' ').trim();
  return { migration, rule, severity, statement: flat.length > 160 ? `${flat.slice(0, 157)}...` : flat, message };
}

function stringValue(node: Node | undefined): string | null {
  const s = node?.String as Node | undefined;
  return s ? String(s.sval) : null;
}

function stringConst(node: Node): string | null {
  const c = node.A_Const as Node | undefined;
  const s = c?.sval as Node | undefined;
  return s ? String(s.sval) : null;
}

/**
 * `fleet lint --fix`: removes the `"public".` qualifiers TypeORM's generator writes, and nothing
 * else. Returns the new source and how many were removed.
 */
export function removePublicQualifiers(source: string): { source: string; count: number } {
  let count = 0;
  const fixed = source.replace(/"public"\./g, () => {
    count++;
    return '';
  });
  return { source: fixed, count };
}
