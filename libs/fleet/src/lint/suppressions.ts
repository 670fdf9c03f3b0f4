/**
 * Per-statement suppressions of risky-SQL findings. One syntax, in two places:
 *
 *   -- fleet-lint-disable-next-statement FLEET101: the table is empty when this runs
 *
 * - in the SQL, right before the statement (a `--` or `/* *\/` comment, found by PostgreSQL's own
 *   scanner, so a string that looks like a comment is not one);
 * - in the migration's source, in the comment lines right above the call that sends the SQL
 *   (`// fleet-lint-disable-next-statement FLEET108: ...` above `await queryRunner.query(...)` or a
 *   Table API call): it covers the statements that call sends.
 *
 * Several codes: `FLEET107, FLEET108: reason`. The reason is required.
 */
import { pgQuery } from './pg-parser';

export const DIRECTIVE = 'fleet-lint-disable-next-statement';

export interface Suppression {
  codes: string[];
  reason: string;
  /** The comment as written, for messages. */
  text: string;
  /** Set when a finding used it (an unused one is reported). */
  used?: boolean;
}

/** The directive in one comment's text (markers included or not), or null when there is none. */
export function parseDirective(comment: string): Suppression | null {
  const body = comment
    .replace(/^\s*(--|\/\/|\/\*+)/, '')
    .replace(/\*\/\s*$/, '')
    .trim();
  if (!body.toLowerCase().startsWith(DIRECTIVE)) return null;
  const rest = body.slice(DIRECTIVE.length);
  const colon = rest.indexOf(':');
  const codesPart = colon < 0 ? rest : rest.slice(0, colon);
  const reason = colon < 0 ? '' : rest.slice(colon + 1).trim();
  const codes = codesPart
    .split(/[\s,]+/)
    .map((c) => c.trim().toUpperCase())
    .filter(Boolean);
  return { codes, reason, text: body };
}

export interface SqlToken {
  /** Byte offsets in the SQL text (as libpg-query reports positions). */
  start: number;
  end: number;
  text: string;
  comment: boolean;
}

/** The tokens of a SQL text, by PostgreSQL's scanner (comments included). */
export async function sqlTokens(sql: string): Promise<SqlToken[]> {
  let result: { tokens?: Array<{ start: number; end: number; text: string; tokenName: string }> };
  try {
    result = (await (await pgQuery()).scan(sql)) as typeof result;
  } catch {
    return [];
  }
  return (result.tokens ?? []).map((t) => ({ start: t.start, end: t.end, text: t.text, comment: t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT' }));
}

/**
 * The directives in the comment block directly above `line` (1-based) of a source file: the
 * contiguous `//` lines (or a `/* *\/` block) ending on the line before, skipping blank lines.
 */
export function directivesAbove(lines: readonly string[], line: number): Suppression[] {
  const out: Suppression[] = [];
  let i = line - 2;
  while (i >= 0 && lines[i].trim() === '') i--;
  for (; i >= 0; i--) {
    const text = lines[i].trim();
    if (!(text.startsWith('//') || text.startsWith('/*') || text.startsWith('*') || text.endsWith('*/'))) break;
    const found = parseDirective(text.replace(/^\*\s?/, ''));
    if (found) out.push(found);
  }
  return out.reverse();
}
