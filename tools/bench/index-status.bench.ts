/**
 * `node -r @swc-node/register tools/bench/index-status.bench.ts [--tenants 20000] [--repeat 3]`
 *
 * Status through the fleet index against status reading every version table, on one database of
 * N tenant schemas at head (the bench workload: ten migrations each), side by side in one run;
 * then verify (every version table read once, the index proven). One tenant is migrated by Fleet;
 * the others get a copy of its version table in SQL (status and verify read only that table), so
 * the setup takes a minute, not an hour. "Tables" is status with the index tables renamed away:
 * the path status takes without an index, the one every status took before the index.
 * Medians of --repeat runs, in process (module loading excluded).
 */
import { resolve, join } from 'node:path';
import { migrate, status, verify } from '@fleet/core';
import { admin, arg, urlOf } from './lib/bench-server';

const ROOT = resolve(__dirname, '..', '..');

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const n = arg('tenants', 20_000);
  const repeat = arg('repeat', 3);
  if (!Number.isInteger(n) || n < 2 || !Number.isInteger(repeat) || repeat < 1) throw new Error('--tenants >= 2 and --repeat >= 1, whole numbers');
  const db = `fleet_bench_index_${process.pid}`;
  const width = Math.max(4, String(n).length);
  const first = `tenant_${'1'.padStart(width, '0')}`;
  await admin('postgres', (c) => c.query(`CREATE DATABASE "${db}"`));
  try {
    await admin(db, (c) => c.query(`CREATE SCHEMA "${first}"`));
    const options = { config: join(__dirname, 'fleet.config.ts'), workspaceRoot: ROOT, env: { BENCH_DATABASE_URL: urlOf(db) } };
    const run = await migrate(options);
    if (!run.ok) throw new Error('the first tenant did not migrate');
    // In chunks: one transaction creating thousands of tables runs out of lock slots (max_locks_per_transaction).
    const setup = await timed(() =>
      admin(db, async (c) => {
        for (let from = 2; from <= n; from += 500) {
          await c.query(`DO $$ DECLARE s text; BEGIN
            FOR i IN ${from}..${Math.min(n, from + 499)} LOOP
              s := 'tenant_' || lpad(i::text, ${width}, '0');
              EXECUTE format('CREATE SCHEMA %I', s);
              EXECUTE format('CREATE TABLE %I.fleet_migrations (LIKE %I.fleet_migrations INCLUDING ALL)', s, '${first}');
              EXECUTE format('INSERT INTO %I.fleet_migrations SELECT * FROM %I.fleet_migrations', s, '${first}');
            END LOOP; END $$`);
        }
      }),
    );
    console.log(`setup: ${n} tenant schemas in ${(setup.ms / 1000).toFixed(1)} s`);
    const proof = await timed(() => verify(options));
    console.log(
      `verify (builds the index): ${(proof.ms / 1000).toFixed(2)} s, ${proof.value.index.builtRows + proof.value.index.repaired.added} rows written, ok=${proof.value.ok}`,
    );
    const rows: Record<string, number[]> = { index: [], tables: [], verify: [] };
    for (let r = 0; r < repeat; r++) {
      const ix = await timed(() => status(options));
      if (ix.value.index?.fromIndex !== n) throw new Error(`status answered ${ix.value.index?.fromIndex} targets from the index, expected ${n}`);
      rows.index.push(ix.ms);
      await admin(db, (c) => c.query('ALTER TABLE public.fleet_index RENAME TO fleet_index_away'));
      const tb = await timed(() => status(options));
      await admin(db, (c) => c.query('ALTER TABLE public.fleet_index_away RENAME TO fleet_index'));
      if (tb.value.index?.readFromTables !== n + 1 && tb.value.index?.readFromTables !== n) throw new Error('status without the index did not read the tables');
      if (tb.value.summary['at-head'] !== ix.value.summary['at-head']) throw new Error('the two paths disagree');
      rows.tables.push(tb.ms);
      rows.verify.push((await timed(() => verify(options))).ms);
    }
    const ix = median(rows.index);
    const tb = median(rows.tables);
    console.log(`\n${n} tenants, median of ${repeat}:`);
    console.log(`| status from the index | ${(ix / 1000).toFixed(2)} s | 1.00x |`);
    console.log(`| status reading every version table | ${(tb / 1000).toFixed(2)} s | ${(tb / ix).toFixed(2)}x |`);
    console.log(`| verify (every version table + the index proven) | ${(median(rows.verify) / 1000).toFixed(2)} s | ${(median(rows.verify) / ix).toFixed(2)}x |`);
  } finally {
    await admin('postgres', (c) => c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`));
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
