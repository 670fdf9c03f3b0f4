/**
 * How far V8 lets the heap grow past what survived its last full collection. V8's default lets a
 * process whose collections are cheap grow up to 4x its live set before it collects again: a
 * verify of 100,000 tenants lived in about 110 MB and peaked at 490-610 MB resident. A fleet run
 * waits on the server nearly all the time (Node at a few % of one core), so collecting sooner
 * costs no wall time and keeps the peak near the live set (measured by `npm run bench:scale`, BENCHMARKS.md).
 *
 * Set for the `fleet` process and Nx's executor process (a process of its own per task), never
 * for a process that merely imports the library. `FLEET_HEAP_GROWING_PERCENT` overrides it (`0`:
 * V8's default), and so does a `--heap-growing-percent` given to Node.
 */
import { setFlagsFromString } from 'node:v8';

/** Fleet's default: collect once the heap grew 20 % past the last full collection's survivors. */
export const DEFAULT_HEAP_GROWING_PERCENT = 20;

/** The percent to set, or null to leave V8 as it is (the user chose, or asked for V8's default). */
export function heapGrowingPercent(env: NodeJS.ProcessEnv, execArgv: readonly string[]): number | null {
  if ([...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => /^--heap[-_]growing[-_]percent/.test(a))) return null;
  const raw = env.FLEET_HEAP_GROWING_PERCENT?.trim();
  if (!raw) return DEFAULT_HEAP_GROWING_PERCENT;
  if (!/^\d+$/.test(raw) || Number(raw) > 1000) {
    throw new Error(`FLEET_HEAP_GROWING_PERCENT must be a whole number of percent from 0 (V8's default) to 1000, not ${JSON.stringify(raw)}`);
  }
  return Number(raw) === 0 ? null : Number(raw);
}

/** Applies heapGrowingPercent to this process (read by V8 at each full collection). */
export function tuneHeapGrowth(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): void {
  const percent = heapGrowingPercent(env, execArgv);
  if (percent !== null) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
