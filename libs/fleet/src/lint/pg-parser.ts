/**
 * PostgreSQL's own parser and scanner (libpg-query), loaded on first use. Loading it instantiates
 * its WASM module (128 MB of address space reserved, a few MB touched). A migrate whose lint
 * verdicts are cached (.fleet/lint) never parses, so it never pays for that.
 *
 * The module is compiled by V8's baseline compiler only (Liftoff): by default V8 also recompiles
 * it with its optimising compiler (TurboFan) in background threads, which took ~36 MB of resident
 * memory that the process keeps (a cold lint: 109-113 MB against 72-74 MB after the same parses,
 * measured on Node 20 / V8 11.3), for a lint that parses a few hundred short statements; the
 * baseline code parses them faster than the default does while the recompilation competes for
 * the CPU. The flag is V8's, process-wide: it is set only while this module compiles and restored
 * after, so other WebAssembly of the process (an app that imports @fleet/core) is compiled as
 * before, and it is left alone when the process was started with it.
 */
import { setFlagsFromString } from 'node:v8';

type PgQuery = typeof import('libpg-query');

let loaded: Promise<PgQuery> | undefined;

export function pgQuery(): Promise<PgQuery> {
  return (loaded ??= loadBaselineOnly());
}

const FLAG = 'liftoff-only';

async function loadBaselineOnly(): Promise<PgQuery> {
  const ownFlag = ![...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a.replace(/_/g, '-').endsWith(FLAG));
  if (ownFlag) setFlagsFromString(`--${FLAG}`);
  try {
    const q = await import('libpg-query');
    // The module compiles while it loads (asynchronously, from the import on): wait for it.
    await q.loadModule();
    return q;
  } finally {
    if (ownFlag) setFlagsFromString(`--no-${FLAG}`);
  }
}
