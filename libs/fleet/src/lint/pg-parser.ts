/**
 * PostgreSQL's own parser and scanner (libpg-query), loaded on first use. Loading it instantiates
 * its WASM module (128 MB of address space reserved, a few MB touched). A migrate whose lint
 * verdicts are cached (.fleet/lint) never parses, so it never pays for that.
 *
 * The module runs on V8's baseline code (Liftoff) only. By default V8 recompiles the functions
 * that get hot with its optimising compiler (TurboFan) in background threads, and the parser's
 * functions are huge: a cold lint of this repo's apps peaked at 108 MB on Node 20 and at
 * **676 MB on Node 24** (V8 13: tier-up memory, transient, in background threads, 3 s of CPU),
 * against 58-67 MB on baseline code, which parses a few hundred short statements faster than
 * the default does while the recompilation competes for the CPU. V8 decides a tier-up while the
 * code runs, so compiling with `--liftoff-only` (what this module did) is not enough past Node 22:
 * tier-up is switched off (`--no-wasm-tier-up --no-wasm-dynamic-tiering`, read by V8 when it
 * decides) for the load and for each call, synchronously, and switched back on right after. The
 * flags are V8's and process-wide: other WebAssembly of the process (an app that imports
 * @fleet/core) runs with V8's defaults between our calls. Started with any of these flags, the
 * process is left as it was started.
 */
import { setFlagsFromString } from 'node:v8';

type PgQuery = typeof import('libpg-query');

/** What Fleet uses of the parser; each call runs on baseline code. */
export interface PgParser {
  parse(sql: string): Promise<ReturnType<PgQuery['parseSync']>>;
  scan(sql: string): Promise<ReturnType<PgQuery['scanSync']>>;
}

let loaded: Promise<PgParser> | undefined;

export function pgQuery(): Promise<PgParser> {
  return (loaded ??= load());
}

const OFF = ['--liftoff-only', '--no-wasm-tier-up', '--no-wasm-dynamic-tiering'];
const ON = ['--no-liftoff-only', '--wasm-tier-up', '--wasm-dynamic-tiering'];
const OWN_FLAGS = /liftoff|wasm[-_](dynamic[-_])?tier/;

/** Switches WebAssembly tier-up on or off, unless the process was started with its own choice. */
function tierUp(on: boolean): void {
  if (startedWithOwnFlags) return;
  for (const flag of on ? ON : OFF) setFlagsFromString(flag);
}

/** Runs `fn` (synchronous: nothing else runs meanwhile) with tier-up off. */
function baseline<T>(fn: () => T): T {
  tierUp(false);
  try {
    return fn();
  } finally {
    tierUp(true);
  }
}

const startedWithOwnFlags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => OWN_FLAGS.test(a));

async function load(): Promise<PgParser> {
  // The module compiles while it loads (asynchronously): tier-up stays off until it has.
  tierUp(false);
  let q: PgQuery;
  try {
    q = await import('libpg-query');
    await q.loadModule();
  } finally {
    tierUp(true);
  }
  return {
    parse: async (sql) => baseline(() => q.parseSync(sql)),
    scan: async (sql) => baseline(() => q.scanSync(sql)),
  };
}
