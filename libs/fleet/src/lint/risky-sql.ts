/**
 * The risky-SQL lint, pure: the SQL each migration of a track sent (in order, from a scratch run),
 * in; findings with stable codes (lint/rules.ts) out. Statements are read with PostgreSQL's own
 * parser and scanner (libpg-query), never matched as text. A track is read from its first
 * migration on, so what an earlier migration did (a validated CHECK (col IS NOT NULL)) counts.
 */
import { pgQuery } from './pg-parser';
import { checkStatement, newTrackState, startMigration } from './risky-checks';
import { isSuppressible, ruleFor } from './rules';
import { parseDirective, sqlTokens, Suppression } from './suppressions';
import type { LintFinding } from './tenant-lint';
import type { Node } from './parse-tree';

/** One SQL text a migration sent (one `query()` call; it may hold several statements). */
export interface IssuedSql {
  sql: string;
  /** The line of the call in the migration's source, when known. */
  line: number | null;
  /** Suppressions written in the source's comments right above the call. */
  directives: Suppression[];
}

export interface MigrationSql {
  name: string;
  transactional: boolean;
  issued: IssuedSql[];
}

export interface RiskyOptions {
  /** Fleet's lock timeout for the database (0: turned off by the user). */
  lockTimeoutMs: number;
}

type Parsed = { stmts?: Array<{ stmt: Node; stmt_location?: number; stmt_len?: number }> };

export async function lintRiskySql(migrations: readonly MigrationSql[], options: RiskyOptions): Promise<LintFinding[]> {
  const findings: LintFinding[] = [];
  const state = newTrackState();
  for (const m of migrations) {
    startMigration(state);
    const checked = new Set<Suppression>();
    const all: Array<{ directive: Suppression; line: number | null }> = [];
    for (const issued of m.issued) {
      let tree: Parsed;
      try {
        tree = (await (await pgQuery()).parse(issued.sql)) as Parsed;
      } catch {
        continue; // not SQL PostgreSQL reads (the scratch run then failed on it too, and says so)
      }
      const bytes = Buffer.from(issued.sql, 'utf8');
      const tokens = await sqlTokens(issued.sql);
      let previousEnd = 0;
      for (const { stmt, stmt_location, stmt_len } of tree.stmts ?? []) {
        const start = stmt_location ?? 0;
        const end = stmt_len ? start + stmt_len : bytes.length;
        // The comments between the previous statement and this one's first token are its own.
        const first = tokens.find((t) => !t.comment && t.start >= start)?.start ?? end;
        const before = tokens.filter((t) => t.comment && t.start >= previousEnd && t.end <= first);
        previousEnd = end;
        const text = flat(bytes.subarray(first, end).toString('utf8'));
        const directives = [...before.map((c) => parseDirective(c.text)).filter((d): d is Suppression => d !== null), ...issued.directives];
        for (const d of directives) {
          if (checked.has(d)) continue;
          checked.add(d);
          all.push({ directive: d, line: issued.line });
          findings.push(...directiveProblems(m.name, d, text, issued.line));
        }
        for (const hit of checkStatement(stmt, state, { transactional: m.transactional, lockTimeoutMs: options.lockTimeoutMs })) {
          const r = ruleFor(hit.code);
          const by = directives.find((d) => valid(d) && d.codes.includes(hit.code));
          if (by) by.used = true;
          findings.push({
            migration: m.name,
            rule: 'risky-sql',
            code: r.code,
            severity: by ? 'info' : r.severity,
            statement: text,
            message: `${hit.detail}. ${r.why} Instead: ${r.rewrite}`,
            line: issued.line,
            ...(by ? { suppressed: by.reason } : {}),
          });
        }
      }
    }
    for (const { directive, line } of all) {
      if (!valid(directive) || directive.used) continue;
      findings.push({
        migration: m.name,
        rule: 'risky-sql',
        code: 'FLEET003',
        severity: ruleFor('FLEET003').severity,
        statement: directive.text,
        message: `${directive.codes.join(', ')} suppressed, but the statement raises no such finding. ${ruleFor('FLEET003').rewrite}`,
        line,
      });
    }
  }
  return findings;
}

function valid(d: Suppression): boolean {
  return d.reason.length > 0 && d.codes.length > 0 && d.codes.every(isSuppressible);
}

function directiveProblems(migration: string, d: Suppression, statement: string, line: number | null): LintFinding[] {
  const out: LintFinding[] = [];
  const base = { migration, rule: 'risky-sql' as const, statement: flat(d.text), line };
  const unknown = d.codes.filter((c) => !isSuppressible(c));
  if (d.codes.length === 0 || unknown.length > 0)
    out.push({
      ...base,
      code: 'FLEET002',
      severity: 'error',
      message: `${d.codes.length === 0 ? 'names no code' : `names ${unknown.join(', ')}, which no rule has`} (the statement: ${statement}). ${ruleFor('FLEET002').rewrite}`,
    });
  if (d.reason.length === 0) out.push({ ...base, code: 'FLEET001', severity: 'error', message: `gives no reason after the code(s). ${ruleFor('FLEET001').rewrite}` });
  return out;
}

function flat(text: string): string {
  const f = text.replace(/\s+/g, ' ').trim();
  return f.length > 160 ? `${f.slice(0, 157)}...` : f;
}
