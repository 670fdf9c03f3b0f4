/**
 * PostgreSQL's own parser and scanner (libpg-query), loaded on first use. Loading it instantiates
 * its WASM module: about 10 MB resident (128 MB reserved) in every process that imports it. A
 * migrate whose lint verdicts are cached (.fleet/lint) never parses, so it never pays for that.
 */
type PgQuery = typeof import('libpg-query');

let loaded: Promise<PgQuery> | undefined;

export function pgQuery(): Promise<PgQuery> {
  return (loaded ??= import('libpg-query'));
}
