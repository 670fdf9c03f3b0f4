/** Reading libpg-query's parse trees (JSON of PostgreSQL's own nodes), shared by the lint rules. */

export type Node = Record<string, unknown>;

/** Visits every (key, value) pair of a parse tree. */
export function walk(node: unknown, visit: (key: string, value: unknown) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
    return;
  }
  if (!node || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node as Node)) {
    visit(key, value);
    walk(value, visit);
  }
}

/** The strings of a name list ([{ String: { sval } }, ...]); empty when it is not one. */
export function names(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const item of value) {
    const s = (item as Node)?.String as Node | undefined;
    if (!s) return [];
    out.push(String(s.sval ?? ''));
  }
  return out;
}
