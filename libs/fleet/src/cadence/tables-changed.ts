import { pgQuery } from '../lint/pg-parser';

const TARGET_KEYS = ['AlterTableStmt', 'CreateStmt', 'IndexStmt', 'RenameStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'CreateTrigStmt', 'RuleStmt', 'CommentStmt'];

/**
 * Tables an SQL text changes, parsed with PostgreSQL's own parser (libpg-query): the relation of
 * each DDL/DML statement, tables named by DROP/TRUNCATE. A table only referenced (a foreign key's
 * target, a SELECT source) is not changed.
 */
export async function tablesChangedBy(sqls: string[]): Promise<string[]> {
  const out = new Set<string>();
  // Loaded on first use (lint/pg-parser.ts): a migrate that never asks pays nothing for the WASM parser.
  const { parse } = await pgQuery();
  for (const sql of sqls) {
    const tree = (await parse(sql)) as { stmts?: Array<{ stmt: Record<string, Record<string, unknown>> }> };
    for (const { stmt } of tree.stmts ?? []) {
      const [kind, body] = Object.entries(stmt)[0] ?? [];
      if (!kind || !body) continue;
      if (TARGET_KEYS.includes(kind)) {
        const rel = body.relation as { relname?: string } | undefined;
        if (rel?.relname) out.add(rel.relname);
      } else if (kind === 'DropStmt' && (body.removeType === 'OBJECT_TABLE' || body.removeType === 'OBJECT_INDEX' || body.removeType === 'OBJECT_VIEW')) {
        if (body.removeType !== 'OBJECT_TABLE') continue;
        for (const obj of (body.objects as Array<{ List?: { items: Array<{ String: { sval: string } }> } }>) ?? []) {
          const items = obj.List?.items ?? [];
          if (items.length) out.add(items[items.length - 1].String.sval);
        }
      } else if (kind === 'TruncateStmt') {
        for (const r of (body.relations as Array<{ RangeVar: { relname: string } }>) ?? []) out.add(r.RangeVar.relname);
      }
    }
  }
  return [...out].sort();
}
