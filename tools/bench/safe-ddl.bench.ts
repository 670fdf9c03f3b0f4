/**
 * Safe DDL on a live fleet (issue 20), before and after, side by side in one run:
 *   npm run bench:safe-ddl                        20 tenants, 20000 rows each, a 10 s blocker
 *   npm run bench:safe-ddl -- --small             5 tenants, 2000 rows, a 5 s blocker (while developing)
 * Options: --tenants N --rows N --blocker-ms N --concurrency N.
 *
 * Two cases, each run twice on a fresh database of schema-per-tenant tenants (the server at
 * PGHOST/PGPORT, default 127.0.0.1:5432):
 * - cic: a tenant migration `CREATE INDEX CONCURRENTLY` (transaction = false) while one
 *   REPEATABLE READ transaction holds a snapshot in the same database for --blocker-ms;
 * - rewrite: a tenant migration `ALTER TABLE items ALTER COLUMN v TYPE bigint` (a table rewrite
 *   under ACCESS EXCLUSIVE) while a long reader holds ACCESS SHARE on tenant t01's table.
 * "before" reproduces the engine before issue 20 with settings: lock_timeout 5 s, no stepping;
 * a non-transactional migration never retried (retries.count 0), a transactional one 3 times.
 * "after" is the defaults (no settings). An "application" queries tenant t01's table in a loop
 * on its own connection (a primary-key read, then an update of the same row) for the whole
 * migrate; its latencies give p50 / p99 / max and the time it spent stalled (queries over 100 ms).
 * The blocker's time, the wall time and the application's figures count from the first tenant's
 * start (after the pre-migrate lint's scratch run, which is the same in both settings).
 * Reported per case and setting: targets at head / failed, retries, INVALID indexes left, wall
 * time, and the application's figures.
 */
import { Client } from 'pg';
import { migrate } from '../../libs/fleet/src/commands/run-commands';
import type { RunReport } from '../../libs/fleet/src/executor/result';
import { FixtureProject, tenantFleetConfig, WORKSPACE_ROOT } from '../../libs/fleet/src/testing/fixtures';
import { server, urlOf } from './lib/bench-server';

const small = process.argv.includes('--small');
const arg = (name: string, fallback: number) => (process.argv.includes(`--${name}`) ? Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) : fallback);
const TENANTS = arg('tenants', small ? 5 : 20);
const ROWS = arg('rows', small ? 2_000 : 20_000);
const BLOCKER_MS = arg('blocker-ms', small ? 5_000 : 10_000);
const CONCURRENCY = arg('concurrency', 4);
const log = (m: string) => process.stderr.write(`${m}\n`);

type Case = 'cic' | 'rewrite';
const SETTINGS: Record<'before' | 'after', Record<Case, Record<string, unknown>>> = {
  before: {
    cic: { lockTimeoutMs: 5_000, retries: { count: 0, maxLockTimeoutMs: 5_000 } },
    rewrite: { lockTimeoutMs: 5_000, retries: { count: 3, maxLockTimeoutMs: 5_000 } },
  },
  after: { cic: {}, rewrite: {} },
};
const MIGRATION: Record<Case, { name: string; up: string[]; transaction?: boolean }> = {
  cic: { name: 'IndexItems2000', transaction: false, up: ['CREATE INDEX CONCURRENTLY items_v_idx ON items (v)'] },
  rewrite: {
    name: 'WidenItems2000',
    up: ['-- fleet-lint-disable-next-statement FLEET104: the bench measures a table rewrite under a reader on purpose\nALTER TABLE items ALTER COLUMN v TYPE bigint'],
  },
};

async function client(database: string): Promise<Client> {
  const c = new Client({ ...server, database });
  await c.connect();
  return c;
}

async function withAdmin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = await client('postgres');
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

interface Row {
  case: Case;
  setting: 'before' | 'after';
  atHead: number;
  failed: number;
  retries: number;
  invalid: number;
  wallMs: number;
  app: { queries: number; p50: number; p99: number; max: number; stalledMs: number };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function runCase(kind: Case, setting: 'before' | 'after'): Promise<Row> {
  const db = `fleet_bench_safeddl_${kind}_${setting}_${process.pid}`;
  const project = new FixtureProject(`safe-ddl-${kind}-${setting}`);
  const tenants = Array.from({ length: TENANTS }, (_, i) => `t${String(i + 1).padStart(2, '0')}`);
  await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`));
  const held: Client[] = [];
  try {
    project.writeConfig(tenantFleetConfig({ ...SETTINGS[setting][kind] }, { discover: { list: tenants }, registry: undefined }));
    project.writeMigration('global', { name: 'Init1000', up: ['SELECT 1'] });
    project.writeMigration('tenant', {
      name: 'CreateItems1000',
      up: ['CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL)', `INSERT INTO items SELECT g, g FROM generate_series(1, ${ROWS}) g`],
    });
    const opts = { config: project.path('fleet.config.ts'), workspaceRoot: WORKSPACE_ROOT, env: { FX_MAIN_URL: urlOf(db) }, concurrency: CONCURRENCY };
    if (!(await migrate(opts)).ok) throw new Error('setup failed');
    project.writeMigration('tenant', MIGRATION[kind]);

    // The blocker: a snapshot (cic) or a reader of t01's table (rewrite), held for BLOCKER_MS.
    const blocker = await client(db);
    held.push(blocker);
    await blocker.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await blocker.query(kind === 'cic' ? 'SELECT count(*) FROM pg_catalog.pg_class' : 'SELECT count(*) FROM tenant_t01.items');
    let release: NodeJS.Timeout | undefined;

    // The application: one connection, back-to-back small queries on t01's table.
    const app = await client(db);
    held.push(app);
    const latencies: number[] = [];
    let running = true;
    /** Set when the first tenant starts (after the pre-migrate lint's scratch run): the blocker's time and the figures count from there. */
    let started = 0;
    const appLoop = (async () => {
      for (let i = 0; running; i++) {
        const id = (i % ROWS) + 1;
        const t0 = performance.now();
        await app.query('SELECT v FROM tenant_t01.items WHERE id = $1', [id]);
        await app.query('UPDATE tenant_t01.items SET v = v WHERE id = $1', [id]);
        if (started) latencies.push(performance.now() - t0);
        else await new Promise((r) => setTimeout(r, 5));
      }
    })();

    const onEvent = (e: { type: string; target?: string }) => {
      if (started || e.type !== 'target-start' || !/\/t\d+$/.test(e.target ?? '')) return;
      started = Date.now();
      release = setTimeout(() => void blocker.query('COMMIT').catch(() => undefined), BLOCKER_MS);
    };
    const report: RunReport = await migrate({ ...opts, onEvent });
    const wallMs = Date.now() - started;
    running = false;
    await appLoop;
    clearTimeout(release);
    await blocker.query('COMMIT').catch(() => undefined);
    const tenantResults = report.results.filter((r) => r.tenant !== null);
    const check = await client(db);
    held.push(check);
    const invalid = (await check.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_index WHERE NOT indisvalid')).rows[0].n;
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      case: kind,
      setting,
      atHead: tenantResults.filter((r) => r.versionAfter === MIGRATION[kind].name).length,
      failed: tenantResults.filter((r) => r.outcome === 'failed').length,
      retries: tenantResults.reduce((n, r) => n + Math.max(0, (r.attempts?.length ?? 1) - 1), 0),
      invalid,
      wallMs,
      app: {
        queries: latencies.length,
        p50: pct(sorted, 50),
        p99: pct(sorted, 99),
        max: sorted[sorted.length - 1] ?? 0,
        stalledMs: latencies.filter((l) => l > 100).reduce((a, b) => a + b, 0),
      },
    };
  } finally {
    for (const c of held) await c.end().catch(() => undefined);
    project.remove();
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`));
  }
}

async function main(): Promise<void> {
  log(`safe-ddl bench: ${TENANTS} tenants x ${ROWS} rows, blocker ${BLOCKER_MS / 1000} s, concurrency ${CONCURRENCY}`);
  const rows: Row[] = [];
  for (const kind of ['cic', 'rewrite'] as const) {
    for (const setting of ['before', 'after'] as const) {
      log(`  ${kind} / ${setting}...`);
      rows.push(await runCase(kind, setting));
    }
  }
  const ms = (n: number) => `${n.toFixed(n < 10 ? 1 : 0)} ms`;
  const lines = [
    '| case | setting | at head | failed | retries | INVALID left | wall time | app queries | app p50 | app p99 | app max | app stalled (>100 ms) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.case} | ${r.setting} | ${r.atHead}/${TENANTS} | ${r.failed} | ${r.retries} | ${r.invalid} | ${(r.wallMs / 1000).toFixed(1)} s | ${r.app.queries} | ${ms(r.app.p50)} | ${ms(r.app.p99)} | ${ms(r.app.max)} | ${(r.app.stalledMs / 1000).toFixed(1)} s |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
}

main().catch((err) => {
  log(String(err?.stack ?? err));
  process.exit(1);
});
