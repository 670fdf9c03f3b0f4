/**
 * One copy of each text read again and again from a fleet's tables: every tenant's version table
 * and index row name the same few migrations, checksums and digests, and each row read was a
 * string of its own (at 40k tenants, 40,000 copies of the same head name and version table name).
 * A pool lives for one read; it holds only the distinct texts, never one per target.
 */
export type StringPool = Map<string, string>;

export function intern(pool: StringPool, s: string): string {
  const known = pool.get(s);
  if (known !== undefined) return known;
  pool.set(s, s);
  return s;
}

/** `intern`, passing null through. */
export function internNullable(pool: StringPool, s: string | null): string | null {
  return s === null ? null : intern(pool, s);
}
