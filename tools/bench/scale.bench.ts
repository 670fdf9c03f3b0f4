/**
 * `npm run bench:scale [-- --sizes 1000,10000,40000,100000 --concurrency 4 --only status,verify,html,noop,fresh --next default|plain --keep --no-build]`
 * (`--keep`: leave each database, named fleet_bench_scale_<n>, for profiling; `--no-build`: reuse dist/)
 *
 * Fleet at fleet scale (issue 21), on tenant schemas of one database, each size on a fresh
 * database. The fleet is made fast by SQL that mirrors Fleet's bookkeeping: one server-side
 * statement per batch of 500 schemas creates each schema, its table `notes` (revision 0001 of
 * tools/bench/scale/base) and its `fleet_migrations` table holding 0001's row (name, checksum and
 * timestamp taken from Fleet's own loader). Then, each a fresh `fleet` process (the compiled
 * package, `npm run build`), timed from outside with its peak RSS (/usr/bin/time):
 * - verify (the first one also proves and repairs whatever index status reads);
 * - status (whole command, text output), and status --html (the page's size);
 * - no-op migrate (every tenant at head already);
 * - the SQL bound: psql reading each version table once (one UNION ALL statement per 500 schemas,
 *   after listing the schemas), what verify and a no-op migrate cannot do with less;
 * - the lint of the new migration, with the compile and lint caches emptied first (its first sight);
 * - fresh migrate of one new migration across the fleet (caches warm: the same at every size): tenants/s. `--next default` (tools/bench/scale/next)
 *   adds 0002 as `ADD COLUMN pinned boolean NOT NULL DEFAULT false`, whose cost on PostgreSQL 15 grows
 *   with the whole catalog (a non-null default reads all of pg_index); `--next plain`
 *   (tools/bench/scale/next-plain) adds it nullable without a default, which costs the same at any fleet size.
 * Ratios are printed side by side; raw figures go to tools/bench/results/scale.json.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildPackages } from '../release/build-packages';
import { loadMigrationsFromDirectory } from '../../libs/fleet/src/migration/load-migrations';
import { admin, server, urlOf } from './lib/bench-server';
import { workloadSql } from './lib/psql-script';

const ROOT = resolve(__dirname, '..', '..');
const log = (m: string) => process.stderr.write(`${m}\n`);

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Schemas made per server-side statement (about 10 relation locks each: 200 stay far under the server's lock table of 64 x 100 slots). */
const MAKE_BATCH = 200;
/** Version tables the SQL bound reads per statement. */
const READ_BATCH = 500;

const schemaOf = (i: number) => `tenant_${String(i).padStart(6, '0')}`;

/** A fresh database of n tenants at revision 0001, as Fleet would have left them. */
async function makeFleet(db: string, n: number): Promise<number> {
  const [first] = loadMigrationsFromDirectory(join(__dirname, 'scale/base'), ROOT);
  const t0 = Date.now();
  await admin('postgres', async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${db}"`);
  });
  await admin(db, async (c) => {
    // The same DDL as Fleet's PostgresVersionStore.ensure() and revision 0001; a session-local function.
    await c.query(`CREATE FUNCTION pg_temp.make_tenants(first int, last int, m_name text, m_ts bigint, m_sum text) RETURNS void LANGUAGE plpgsql AS $f$
      DECLARE s text;
      BEGIN
        FOR i IN first..last LOOP
          s := 'tenant_' || lpad(i::text, 6, '0');
          EXECUTE format('CREATE SCHEMA %I', s);
          EXECUTE format('CREATE TABLE %I.notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL)', s);
          EXECUTE format($t$CREATE TABLE %I.fleet_migrations (
            name text PRIMARY KEY, seq integer NOT NULL, timestamp bigint NOT NULL, checksum text,
            status text NOT NULL CHECK (status IN ('applied', 'skipped', 'started')),
            method text NOT NULL CHECK (method IN ('run', 'stamp', 'adopt')),
            applied_at timestamptz NOT NULL DEFAULT now(), duration_ms integer, applied_by text, reason text)$t$, s);
          EXECUTE format('INSERT INTO %I.fleet_migrations (name, seq, timestamp, checksum, status, method, duration_ms, applied_by) VALUES ($1, 1, $2, $3, ''applied'', ''run'', 1, ''bench:scale'')', s)
            USING m_name, m_ts, m_sum;
        END LOOP;
      END $f$`);
    for (let a = 1; a <= n; a += MAKE_BATCH) {
      await c.query('SELECT pg_temp.make_tenants($1, $2, $3, $4, $5)', [a, Math.min(n, a + MAKE_BATCH - 1), first.name, first.timestamp, first.checksum]);
    }
  });
  return Date.now() - t0;
}

interface Timed {
  wallMs: number;
  rssMb: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One command in a fresh process, wall time from outside, peak RSS from /usr/bin/time. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Timed> {
  const rssFile = join(tmpdir(), `fleet-scale-rss-${process.pid}`);
  const started = process.hrtime.bigint();
  return new Promise((resolvePromise, reject) => {
    const child = spawn('/usr/bin/time', ['-o', rssFile, '-f', '%M', cmd, ...args], { cwd: ROOT, env: { ...process.env, CI: 'true', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const kb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
      resolvePromise({ wallMs, rssMb: Math.round(kb / 1024), code, stdout, stderr });
    });
  });
}

const FLEET = join(ROOT, 'dist/libs/fleet/bin/fleet.js');

/** The fresh migration's variant (`--next`): the directory and config of its stage. */
const NEXT_STAGES = { default: 'next', plain: 'next-plain' } as const;
type NextVariant = keyof typeof NEXT_STAGES;

function fleet(verb: string[], db: string, stage: 'base' | (typeof NEXT_STAGES)[NextVariant], opts: { cold?: boolean } = {}): Promise<Timed> {
  if (opts.cold) {
    // The compiled user files and the lint verdicts (config/compiled-files.ts, .fleet/lint).
    for (const dir of [join(ROOT, 'node_modules', '.cache'), join(ROOT, '.fleet', 'lint')])
      for (const name of existsSync(dir) ? readdirSync(dir) : [])
        if (dir.endsWith('lint') || name.startsWith('fleet-ts-')) rmSync(join(dir, name), { recursive: true, force: true });
  }
  return timed(process.execPath, [FLEET, ...verb, '--config', join(__dirname, 'scale', `${stage}.config.ts`)], { BENCH_DATABASE_URL: urlOf(db) });
}

/** psql reads every version table once: list the schemas, then one UNION ALL per batch. */
async function sqlBound(db: string, n: number, dir: string): Promise<Timed> {
  const file = join(dir, `bound-${n}.sql`);
  const parts = [`SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname LIKE 'tenant\\_%' ORDER BY 1;`];
  for (let a = 1; a <= n; a += READ_BATCH) {
    const selects: string[] = [];
    for (let i = a; i <= Math.min(n, a + READ_BATCH - 1); i++) {
      selects.push(`(SELECT '${schemaOf(i)}'::text AS s, seq, name, timestamp, checksum, status, method, applied_at, duration_ms, reason FROM "${schemaOf(i)}".fleet_migrations)`);
    }
    parts.push(`${selects.join(' UNION ALL ')};`);
  }
  writeFileSync(file, parts.join('\n'));
  return timed('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-o', '/dev/null', '-h', server.host, '-p', String(server.port), '-U', server.user, '-d', db, '-f', file], {
    PGPASSWORD: server.password ?? '',
  });
}

function check(label: string, r: Timed, ok: (r: Timed) => boolean): Timed {
  if (!ok(r)) throw new Error(`${label} failed (exit ${r.code}): ${r.stderr.slice(-2000)}${r.stdout.slice(-2000)}`);
  return r;
}

interface SizeResult {
  tenants: number;
  makeMs: number;
  rows: Array<{ step: string; wallMs: number; rssMb: number; extra?: string }>;
  boundMs: number;
  freshTenantsPerSec: number | null;
  htmlBytes: number | null;
  /** Fleet's sessions on the database during the fresh migrate (sampled every 50 ms). */
  freshPeakConnections: number | null;
  /** Dead rows the fresh migrate left in the catalog (autovacuum's work), per tenant. */
  deadCatalogRowsPerTenant: Record<string, number> | null;
}

/** Dead rows of the catalog tables a migration rewrites, from the statistics system. */
async function deadCatalogRows(db: string): Promise<Record<string, number>> {
  return admin(db, async (c) => {
    const { rows } = await c.query<{ relname: string; n: number }>(
      `SELECT relname, n_dead_tup::int AS n FROM pg_catalog.pg_stat_sys_tables WHERE relname IN ('pg_class', 'pg_attribute', 'pg_depend', 'pg_type') ORDER BY 1`,
    );
    return Object.fromEntries(rows.map((r) => [r.relname, r.n]));
  });
}

/** The most sessions Fleet held on `db` at once, sampled until stopped. */
function sampleConnections(db: string): { stop: () => Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = admin('postgres', async (c) => {
    while (running) {
      const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_catalog.pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'`, [db]);
      peak = Math.max(peak, rows[0].n);
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  return {
    stop: async () => {
      running = false;
      await loop;
      return peak;
    },
  };
}

async function oneSize(n: number, concurrency: number, only: Set<string> | null, dir: string, keep: boolean, next: NextVariant): Promise<SizeResult> {
  const db = keep ? `fleet_bench_scale_${n}` : `fleet_bench_scale_${n}_${process.pid}`;
  const want = (s: string) => !only || only.has(s);
  const out: SizeResult = { tenants: n, makeMs: 0, rows: [], boundMs: 0, freshTenantsPerSec: null, htmlBytes: null, freshPeakConnections: null, deadCatalogRowsPerTenant: null };
  const row = (step: string, r: Timed, extra?: string) => {
    out.rows.push({ step, wallMs: Math.round(r.wallMs), rssMb: r.rssMb, extra });
    log(`  ${n}: ${step} ${(r.wallMs / 1000).toFixed(2)} s, ${r.rssMb} MB${extra ? `, ${extra}` : ''}`);
  };
  try {
    out.makeMs = await makeFleet(db, n);
    log(`  ${n}: fleet made by SQL in ${(out.makeMs / 1000).toFixed(1)} s`);
    if (want('verify'))
      row(
        'verify',
        check('verify', await fleet(['verify'], db, 'base'), (r) => r.code === 0),
      );
    if (want('status'))
      row(
        'status',
        check('status', await fleet(['status'], db, 'base'), (r) => r.code === 0),
      );
    if (want('html')) {
      const html = join(dir, `status-${n}.html`);
      row(
        'status --html',
        check('status --html', await fleet(['status', '--html', html], db, 'base'), (r) => r.code === 0),
      );
      out.htmlBytes = statSync(html).size;
    }
    if (want('noop'))
      row(
        'no-op migrate',
        check('no-op migrate', await fleet(['migrate'], db, 'base'), (r) => r.code === 0),
      );
    const bound = check('SQL bound', await sqlBound(db, n, dir), (r) => r.code === 0);
    out.boundMs = Math.round(bound.wallMs);
    row('SQL bound (psql, each version table read once)', bound);
    if (want('fresh')) {
      // The new migration's first sight: compiled and linted (both cached by content), timed on
      // its own. The migrate below then runs as it would on the second machine to deploy it, the
      // same at every size: tenants/s compares the fleets, not who paid for the cold caches.
      row(
        `lint of the new migration (--next ${next}, caches cold)`,
        check('lint', await fleet(['lint'], db, NEXT_STAGES[next], { cold: true }), (r) => r.code === 0),
      );
      const deadBefore = await deadCatalogRows(db);
      const sampler = sampleConnections(db);
      const fresh = check('fresh migrate', await fleet(['migrate', '--concurrency', String(concurrency)], db, NEXT_STAGES[next]), (r) => r.code === 0);
      out.freshPeakConnections = await sampler.stop();
      const deadAfter = await deadCatalogRows(db);
      out.deadCatalogRowsPerTenant = Object.fromEntries(Object.keys(deadAfter).map((k) => [k, Number(((deadAfter[k] - (deadBefore[k] ?? 0)) / n).toFixed(2))]));
      out.freshTenantsPerSec = Math.round(n / (fresh.wallMs / 1000));
      row(`fresh migrate (one new migration, --next ${next})`, fresh, `${out.freshTenantsPerSec} tenants/s`);
      const after = check('status after', await fleet(['status', '--json'], db, NEXT_STAGES[next]), (r) => r.code === 0);
      const summary = JSON.parse(after.stdout).summary;
      if (summary['at-head'] !== n + 1) throw new Error(`after the fresh migrate: expected ${n} tenants and the global track at head, got ${JSON.stringify(summary)}`);
    }
  } finally {
    if (keep) log(`  kept database ${db} (--keep), for profiling: BENCH_DATABASE_URL=${urlOf(db)}`);
    else await admin('postgres', (c) => c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`)).catch(() => undefined);
  }
  return out;
}

/**
 * PostgreSQL's own limits (`--limits [--tenants 200]`): the catalog one tenant of the bench workload
 * (tools/bench/workload) costs, the memory a session keeps per tenant it touched, the locks one
 * tenant's migration holds at its commit, and the lock table's guaranteed size.
 */
async function limits(tenants: number): Promise<Record<string, unknown>> {
  const db = `fleet_bench_limits_${process.pid}`;
  await admin('postgres', async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${db}"`);
  });
  try {
    return await admin(db, async (c) => {
      const catalog = async () =>
        (
          await c.query<{ classes: number; attributes: number; bytes: string; depends: number; types: number }>(
            `SELECT (SELECT count(*)::int FROM pg_catalog.pg_class) AS classes, (SELECT count(*)::int FROM pg_catalog.pg_attribute) AS attributes,
                    (SELECT count(*)::int FROM pg_catalog.pg_depend) AS depends, (SELECT count(*)::int FROM pg_catalog.pg_type) AS types,
                    (SELECT sum(pg_catalog.pg_total_relation_size(c.oid))::bigint::text FROM pg_catalog.pg_class c
                      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'pg_catalog' AND c.relkind = 'r') AS bytes`,
          )
        ).rows[0];
      const settings = Object.fromEntries(
        (
          await c.query<{ name: string; setting: string }>(
            `SELECT name, setting FROM pg_catalog.pg_settings WHERE name IN ('max_locks_per_transaction', 'max_connections', 'max_prepared_transactions', 'autovacuum', 'autovacuum_vacuum_scale_factor', 'autovacuum_vacuum_threshold', 'server_version')`,
          )
        ).rows.map((r) => [r.name, r.setting]),
      );
      const before = await catalog();
      const sql = workloadSql()
        .map((w) => w.sql)
        .join(';\n');
      for (let i = 1; i <= tenants; i++) {
        const s = `tenant_${String(i).padStart(6, '0')}`;
        await c.query(`CREATE SCHEMA ${s}; SET search_path TO ${s}; BEGIN; ${sql}; COMMIT; RESET search_path`);
      }
      const after = await catalog();
      const per = (k: keyof typeof before) => Math.round((Number(after[k]) - Number(before[k])) / tenants);
      // A session's own memory after opening every tenant's tables once (its relation and catalog caches are never evicted).
      const memory = async () =>
        Number((await c.query<{ bytes: string }>(`SELECT sum(total_bytes)::bigint::text AS bytes FROM pg_catalog.pg_backend_memory_contexts`)).rows[0].bytes);
      const memoryBefore = await memory();
      for (let i = 1; i <= tenants; i++) {
        const s = `tenant_${String(i).padStart(6, '0')}`;
        await c.query(
          `SELECT (SELECT count(*) FROM ${s}.accounts) + (SELECT count(*) FROM ${s}.users) + (SELECT count(*) FROM ${s}.projects) + (SELECT count(*) FROM ${s}.events) + (SELECT count(*) FROM ${s}.api_keys)`,
        );
      }
      const sessionBytesPerTenant = Math.round((await memory()) - memoryBefore) / tenants;
      // Locks one tenant's migration holds at its COMMIT (transactionMode 'all': the ten migrations in one transaction).
      await c.query(`CREATE SCHEMA locks_probe; SET search_path TO locks_probe; BEGIN; ${sql}`);
      const held = (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_catalog.pg_locks WHERE pid = pg_catalog.pg_backend_pid()`)).rows[0].n;
      await c.query('ROLLBACK; RESET search_path');
      return {
        settings,
        tenants,
        perTenant: { classes: per('classes'), attributes: per('attributes'), depends: per('depends'), types: per('types'), catalogBytes: per('bytes') },
        catalogBefore: before,
        catalogAfter: after,
        locksPerTenantTransaction: held,
        sessionBytesPerTenantTouched: Math.round(sessionBytesPerTenant),
        // What PostgreSQL guarantees (more fits only while shared memory has slack); it is not filled
        // here: on a shared server that would fail other sessions' statements.
        lockTableSlots: Number(settings.max_locks_per_transaction) * (Number(settings.max_connections) + Number(settings.max_prepared_transactions)),
      };
    });
  } finally {
    await admin('postgres', (c) => c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`)).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--limits')) {
    const out = await limits(Number(option('tenants') ?? 500));
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results', 'pg-limits.json'), JSON.stringify({ date: new Date().toISOString(), ...out }, null, 2));
    return;
  }
  const sizes = (option('sizes') ?? '1000,10000')
    .split(',')
    .map(Number)
    .filter((x) => Number.isInteger(x) && x >= 1);
  if (sizes.length === 0) throw new Error('--sizes: a comma-separated list of tenant counts, e.g. 1000,10000,40000,100000');
  if (sizes.some((s) => s > 999_999)) throw new Error('--sizes: at most 999999 tenants (six-digit names)');
  const concurrency = Number(option('concurrency') ?? 4);
  const only = option('only') ? new Set(option('only')!.split(',')) : null;
  const next = (option('next') ?? 'default') as NextVariant;
  if (!Object.hasOwn(NEXT_STAGES, next)) throw new Error(`--next: one of ${Object.keys(NEXT_STAGES).join(', ')}`);
  if (!process.argv.includes('--no-build')) buildPackages(['core']);
  const dir = join(tmpdir(), `fleet-scale-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const results: SizeResult[] = [];
  try {
    for (const n of sizes) {
      log(`scale bench: ${n} tenants`);
      results.push(await oneSize(n, concurrency, only, dir, process.argv.includes('--keep'), next));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const steps = [...new Set(results.flatMap((r) => r.rows.map((x) => x.step)))];
  const cell = (r: SizeResult, step: string) => {
    const x = r.rows.find((y) => y.step === step);
    return x ? `${(x.wallMs / 1000).toFixed(2)} s / ${x.rssMb} MB` : '-';
  };
  const ratio = (r: SizeResult, step: string) => {
    const x = r.rows.find((y) => y.step === step);
    return x && r.boundMs ? `${(x.wallMs / r.boundMs).toFixed(2)}x` : '-';
  };
  const base = results[0];
  const lines = [
    `| step (wall / peak RSS) | ${results.map((r) => `${r.tenants} tenants`).join(' | ')} |`,
    `| --- | ${results.map(() => '---:').join(' | ')} |`,
    ...steps.map((s) => `| ${s} | ${results.map((r) => cell(r, s)).join(' | ')} |`),
    `| verify / SQL bound | ${results.map((r) => ratio(r, 'verify')).join(' | ')} |`,
    `| no-op migrate / SQL bound | ${results.map((r) => ratio(r, 'no-op migrate')).join(' | ')} |`,
    `| fresh migrate, tenants/s | ${results.map((r) => r.freshTenantsPerSec ?? '-').join(' | ')} |`,
    `| fresh throughput / at ${base.tenants} | ${results.map((r) => (r.freshTenantsPerSec && base.freshTenantsPerSec ? `${((100 * r.freshTenantsPerSec) / base.freshTenantsPerSec).toFixed(0)} %` : '-')).join(' | ')} |`,
    `| status --html size | ${results.map((r) => (r.htmlBytes === null ? '-' : `${(r.htmlBytes / 1e6).toFixed(2)} MB`)).join(' | ')} |`,
    `| fresh migrate, peak sessions on the database | ${results.map((r) => r.freshPeakConnections ?? '-').join(' | ')} |`,
    `| dead catalog rows per tenant after it | ${results
      .map((r) =>
        r.deadCatalogRowsPerTenant
          ? Object.entries(r.deadCatalogRowsPerTenant)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')
          : '-',
      )
      .join(' | ')} |`,
    `| fleet made by SQL in | ${results.map((r) => `${(r.makeMs / 1000).toFixed(1)} s`).join(' | ')} |`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  writeFileSync(join(__dirname, 'results', 'scale.json'), JSON.stringify({ date: new Date().toISOString(), concurrency, next, results }, null, 2));
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
