/**
 * `npm run bench:round-trips [-- --tenants 3]`
 *
 * The statements one new tenant of the benchmark workload costs (issue 21: against psql, a fresh
 * migrate is a matter of round trips). Migrates a fresh database of N empty tenant schemas, as
 * `npm run bench` does, in this process with concurrency 1, tracing every query the pg client
 * sends; a target's statements run from the one that tries its lock to the one that releases it.
 * Prints each tenant's count and the statements of the last one, and what the bench's psql script
 * sends per tenant (one statement at a time). libs/fleet/test/round-trips.int.spec.ts
 * guards the count on a fixed 3-migration track.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { migrate } from '@fleet/core';
import { admin, arg, urlOf } from './lib/bench-server';

const ROOT = resolve(__dirname, '..', '..');

const WORKLOAD_MIGRATIONS = readdirSync(join(__dirname, 'workload')).filter((f) => f.endsWith('.ts')).length;

/**
 * The workload's up() texts: Fleet sends each as it is (one round trip per query() call), psql
 * splits them and sends one statement per `;` at a line's end (the bench joins them that way).
 */
function workloadStatements(): { calls: number; statements: number } {
  const texts: string[] = [];
  for (const file of readdirSync(join(__dirname, 'workload')).filter((f) => f.endsWith('.ts'))) {
    const cls = Object.values(require(join(__dirname, 'workload', file)))[0] as new () => { up(q: unknown): Promise<void> };
    void new cls().up({ query: async (sql: string) => void texts.push(sql) }); // each up() sends one text, synchronously
  }
  const statements = texts.reduce((n, t) => n + t.split(/;\s*(?:\n|$)/).filter((x) => x.trim()).length, 0);
  return { calls: texts.length, statements };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

async function main(): Promise<void> {
  const n = arg('tenants', 3);
  const db = `fleet_bench_trips_${process.pid}`;
  await admin('postgres', (c) => c.query(`CREATE DATABASE "${db}"`));
  try {
    await admin(db, (c) => c.query(`DO $$ BEGIN FOR i IN 1..${n} LOOP EXECUTE format('CREATE SCHEMA %I', 'tenant_' || lpad(i::text, 4, '0')); END LOOP; END $$`));
    const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const original = proto.query;
    const sql: string[] = [];
    const ms: number[] = [];
    proto.query = function (this: Client, ...args: unknown[]) {
      const first = args[0] as string | { text?: string };
      sql.push((typeof first === 'string' ? first : (first?.text ?? '?')).replace(/\s+/g, ' '));
      const at = ms.push(0) - 1;
      const started = process.hrtime.bigint();
      const out = original.apply(this, args);
      if (out instanceof Promise) void out.then(() => (ms[at] = Number(process.hrtime.bigint() - started) / 1e6)).catch(() => undefined);
      return out;
    };
    try {
      const report = await migrate({ config: join(__dirname, 'fleet.config.ts'), workspaceRoot: ROOT, env: { BENCH_DATABASE_URL: urlOf(db) }, concurrency: 1 });
      if (!report.ok) throw new Error(`migrate failed: ${JSON.stringify(report.summary)}`);
    } finally {
      proto.query = original;
    }
    const targets: string[][] = [];
    const times: number[][] = [];
    let open: string[] | null = null;
    let openMs: number[] = [];
    for (const [i, text] of sql.entries()) {
      if (text.includes('pg_try_advisory_lock')) [open, openMs] = [[], []];
      open?.push(text);
      openMs.push(ms[i]);
      if (open && text.includes('pg_advisory_unlock')) {
        // A tenant's (its schema is named in its statements), not the global target's.
        if (open.some((t) => t.includes('"tenant_'))) {
          targets.push(open);
          times.push(openMs);
        }
        open = null;
      }
    }
    const last = targets[targets.length - 1];
    const ups = workloadStatements();
    process.stdout.write(
      `round trips per new tenant: ${targets.map((t) => t.length).join(', ')} (of which the migrations' own: ${ups.calls})\n` +
        `psql's script (npm run bench), per tenant: ${3 + ups.statements + WORKLOAD_MIGRATIONS + 1} statements, one round trip each ` +
        `(SET, BEGIN, CREATE TABLE, the migrations' ${ups.statements}, ${WORKLOAD_MIGRATIONS} INSERTs, COMMIT)\n` +
        `the last tenant's, with the mean round trip of each (ms, client side, all tenants):\n` +
        `${last
          .map(
            (t, i) =>
              `  ${String(i + 1).padStart(2)} ${mean(times.map((x) => x[i]))
                .toFixed(2)
                .padStart(6)}  ${t.slice(0, 100)}`,
          )
          .join('\n')}\n`,
    );
  } finally {
    await admin('postgres', (c) => c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`));
  }
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
