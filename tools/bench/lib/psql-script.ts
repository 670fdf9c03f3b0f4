/**
 * The psql contenders' script: each tenant's version table, the workload's SQL (taken from the
 * migration classes themselves, so every contender runs the same text) and a version row per
 * migration, one transaction per tenant. psql sends each statement in a round trip of its own;
 * the Node contender (runners/psql-script-node.js) reads the same statements, split the same way.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const WORKLOAD = join(__dirname, '..', 'workload');

/** Each workload migration's up() text, in order (each up() sends its text synchronously). */
export function workloadSql(): Array<{ version: string; sql: string }> {
  return readdirSync(WORKLOAD)
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => {
      const cls = Object.values(require(join(WORKLOAD, f)))[0] as new () => { up(q: unknown): Promise<void> };
      const captured: string[] = [];
      void new cls().up({ query: async (sql: string) => captured.push(sql) });
      return { version: f.slice(0, 4), sql: captured.join(';\n') };
    });
}

/**
 * The statements of `tenants`, one per round trip as psql sends them. The workload's texts are
 * split at a `;` that ends a line; one with dollar quoting would need psql's own lexer, so it is
 * refused rather than split wrong.
 */
export function psqlStatements(tenants: string[], workload: Array<{ version: string; sql: string }>): string[] {
  const out: string[] = [];
  for (const t of tenants) {
    out.push(`SET search_path TO ${t}`, 'BEGIN', 'CREATE TABLE schema_version (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    for (const w of workload) {
      if (w.sql.includes('$')) throw new Error(`workload ${w.version} uses dollar quoting or parameters: the psql script cannot split it`);
      out.push(
        ...w.sql
          .split(/;\s*(?:\n|$)/)
          .map((s) => s.trim())
          .filter(Boolean),
        `INSERT INTO schema_version (version) VALUES ('${w.version}')`,
      );
    }
    out.push('COMMIT');
  }
  return out;
}

/** psql's input: the same statements, each ended by `;` on its own line. */
export const psqlScript = (statements: string[]): string => statements.map((s) => `${s};`).join('\n');
