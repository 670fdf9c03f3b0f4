/**
 * `npm run bench:onboard [-- --migrations 200 --samples 30]`
 *
 * Onboarding one tenant with a long tenant track (issue 22), side by side in one run, each on a
 * fresh database of the same server, each tenant created one after another in this process through
 * the public API (every call opens and closes its own connections):
 *   - today's path: createTenant() runs the tenant track from its first migration (no pool);
 *   - the pool, warm: createTenant() renames a spare schema kept at head (tenants.pool, refill 'none'
 *     so that each take is measured alone; the pool is sized for every sample);
 *   - the same with the default refill ('background'): each take starts a refill in this process,
 *     which runs while the next takes happen (what a busy sign-up handler sees);
 *   - the database strategy's pool: spare databases renamed into tenant databases;
 *   - a template clone, the other way to get a tenant at head at once: CREATE DATABASE ... TEMPLATE
 *     of a database at head plus the registry row (PostgreSQL has no schema clone). Measured as its
 *     SQL alone, without Fleet around it: a lower bound.
 * Tenant track: `--migrations` one-table migrations. Reports p50/p95/max and the ratios; writes
 * tools/bench/results/onboard-pool.json.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createTenant, migrate } from '@fleet/core';
import { admin, server, urlOf } from './lib/bench-server';

const ROOT = resolve(__dirname, '..', '..');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a whole number >= 1`);
  return v;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
const dropDb = (db: string) => admin('postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${quote(db)} WITH (FORCE)`));
const createDb = (db: string) => admin('postgres', (c) => c.query(`CREATE DATABASE ${quote(db)}`));

/** The SQL of tenant migration i (one table each). */
const tableSql = (i: number) => `CREATE TABLE t${String(i).padStart(4, '0')} (id bigint PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`;

/** A project on disk: registry global track, `n` one-table tenant migrations, a pool of `pool`, a schema (or a database) per tenant. */
function writeProject(dir: string, n: number, pool: number, strategy: 'schema' | 'database' = 'schema', tenantDatabase = ''): string {
  const migration = (name: string, sql: string) =>
    `import type { MigrationInterface, QueryRunner } from 'typeorm';\nexport class ${name} implements MigrationInterface {\n` +
    `  async up(q: QueryRunner): Promise<void> {\n    await q.query(${JSON.stringify(sql)});\n  }\n  async down(): Promise<void> {}\n}\n`;
  mkdirSync(join(dir, 'global'), { recursive: true });
  mkdirSync(join(dir, 'tenant'), { recursive: true });
  writeFileSync(join(dir, 'global', '1764000000000-CreateTenants.ts'), migration('CreateTenants1764000000000', 'CREATE TABLE tenants (id text PRIMARY KEY)'));
  for (let i = 1; i <= n; i++) {
    const ts = 1765000000000 + i;
    writeFileSync(join(dir, 'tenant', `${ts}-CreateTable${i}.ts`), migration(`CreateTable${i}_${ts}`, tableSql(i)));
  }
  const config = {
    app: 'bench-pool',
    databases: {
      main: {
        urlEnv: 'BENCH_DATABASE_URL',
        migrations: './global',
        transactionMode: 'all',
        tenants: {
          strategy,
          migrations: './tenant',
          discover: { sql: 'SELECT id FROM tenants ORDER BY id' },
          registry: { table: 'tenants' },
          pool: { size: pool },
          ...(strategy === 'database' ? { createDatabase: true, databaseTemplate: `${tenantDatabase}_{id}` } : {}),
        },
      },
    },
  };
  const file = join(dir, 'fleet.config.ts');
  writeFileSync(file, `export default ${JSON.stringify(config, null, 2)};\n`);
  return file;
}

interface Figures {
  contender: string;
  samples: number;
  p50: number;
  p95: number;
  max: number;
  note: string;
}

function figures(contender: string, times: number[], note: string): Figures {
  const s = [...times].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  return { contender, samples: s.length, p50: at(0.5), p95: at(0.95), max: s[s.length - 1], note };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function main(): Promise<void> {
  const n = arg('migrations', 200);
  const samples = arg('samples', 30);
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const db = (s: string) => `fleet_bench_pool_${s}_${process.pid}`;
  const work = join(ROOT, 'tmp', `bench-onboard-pool-${process.pid}`);
  const rows: Figures[] = [];
  const extra: Record<string, number> = {};
  try {
    log(`onboarding benchmark: ${n} tenant migrations, ${samples} tenants per contender, server ${server.host}:${server.port}`);

    // Today's path: the full tenant track per tenant.
    const fullConfig = writeProject(join(work, 'full'), n, 0);
    await createDb(db('full'));
    const full = { config: fullConfig, workspaceRoot: ROOT, env: { BENCH_DATABASE_URL: urlOf(db('full')) } };
    await migrate(full);
    await createTenant({ ...full, id: 'warmup' });
    const fullTimes: number[] = [];
    let fallbackPaths = 0;
    for (let i = 0; i < samples; i++) {
      fullTimes.push(
        await timed(async () => {
          if ((await createTenant({ ...full, id: `full_${i}` })).path !== 'full-track') fallbackPaths++;
        }),
      );
    }
    rows.push(figures("createTenant, today's path (full track)", fullTimes, `${n} migrations run per tenant`));
    log(`  done: full track`);

    // The pool, warm: one spare per sample (and the warm-up), filled by migrate beforehand.
    const poolConfig = writeProject(join(work, 'pool'), n, samples + 1);
    await createDb(db('pool'));
    const pool = { config: poolConfig, workspaceRoot: ROOT, env: { BENCH_DATABASE_URL: urlOf(db('pool')) } };
    extra.poolFillMs = await timed(() => migrate(pool));
    extra.poolSpares = samples + 1;
    const warm = await createTenant({ ...pool, id: 'warmup', refill: 'none' });
    if (warm.path !== 'pool') throw new Error(`the warm pool was not used: ${warm.poolFallback}`);
    const poolTimes: number[] = [];
    let notPool = 0;
    for (let i = 0; i < samples; i++) {
      poolTimes.push(
        await timed(async () => {
          if ((await createTenant({ ...pool, id: `pool_${i}`, refill: 'none' })).path !== 'pool') notPool++;
        }),
      );
    }
    rows.push(figures('createTenant, pool warm (rename a spare)', poolTimes, `pool of ${samples + 1}, refill: 'none' (each take alone)`));
    log(`  done: pool`);

    // The pool with the default refill: each take starts a background refill that runs while the next takes happen.
    await migrate(pool); // back to a full pool
    const busyTimes: number[] = [];
    const refills: Array<Promise<unknown>> = [];
    for (let i = 0; i < samples; i++) {
      busyTimes.push(
        await timed(async () => {
          const r = await createTenant({ ...pool, id: `busy_${i}` });
          if (r.path !== 'pool') notPool++;
          if (r.refill) refills.push(r.refill);
        }),
      );
    }
    await Promise.all(refills);
    rows.push(figures("createTenant, pool warm, refill: 'background' (default)", busyTimes, 'each take refilled in the background of this process'));
    log(`  done: pool with background refills`);

    // The database strategy's pool: spare databases renamed into tenant databases.
    const dbPoolConfig = writeProject(join(work, 'dbpool'), n, samples + 1, 'database', db('t'));
    await createDb(db('dbpool'));
    const dbPool = { config: dbPoolConfig, workspaceRoot: ROOT, env: { BENCH_DATABASE_URL: urlOf(db('dbpool')) } };
    extra.databasePoolFillMs = await timed(() => migrate(dbPool));
    const dbWarm = await createTenant({ ...dbPool, id: 'warmup', refill: 'none' });
    if (dbWarm.path !== 'pool') throw new Error(`the warm database pool was not used: ${dbWarm.poolFallback}`);
    const dbTimes: number[] = [];
    for (let i = 0; i < samples; i++) {
      dbTimes.push(
        await timed(async () => {
          if ((await createTenant({ ...dbPool, id: `db_${i}`, refill: 'none' })).path !== 'pool') notPool++;
        }),
      );
    }
    rows.push(figures('createTenant, database strategy, pool warm (rename a spare database)', dbTimes, `pool of ${samples + 1} databases, refill: 'none'`));
    log(`  done: database pool`);

    if (notPool || fallbackPaths) throw new Error(`${notPool} pool sample(s) took the full track, ${fallbackPaths} full-track sample(s) did not`);

    // A template clone: CREATE DATABASE ... TEMPLATE of a database at head, then the registry row.
    await createDb(db('home'));
    await admin(db('home'), (c) => c.query('CREATE TABLE tenants (id text PRIMARY KEY)'));
    await createDb(db('tmpl'));
    await admin(db('tmpl'), async (c) => {
      for (let i = 1; i <= n; i++) await c.query(tableSql(i));
    });
    const cloneTimes: number[] = [];
    const clones: string[] = [];
    for (let i = 0; i <= samples; i++) {
      const name = `${db('clone')}_${i}`;
      clones.push(name);
      const ms = await timed(async () => {
        await admin('postgres', (c) => c.query(`CREATE DATABASE ${quote(name)} TEMPLATE ${quote(db('tmpl'))}`));
        await admin(db('home'), (c) => c.query('INSERT INTO tenants (id) VALUES ($1)', [`clone_${i}`]));
      });
      if (i > 0) cloneTimes.push(ms); // the first is the warm-up, as for the others
    }
    rows.push(figures('CREATE DATABASE ... TEMPLATE + registry row (SQL only)', cloneTimes, 'database strategy lower bound; no Fleet, no checks'));
    for (const c of clones) await dropDb(c);
    log(`  done: template clone`);

    const [today, pooled, busy, dbPooled, clone] = rows;
    const verdict = (r: Figures) => `p50 ${r.p50.toFixed(1)} ms (${r.p50 <= 20 ? 'met' : 'NOT met'}), p95 ${r.p95.toFixed(1)} ms (${r.p95 <= 50 ? 'met' : 'NOT met'})`;
    const lines = [
      `| contender | tenants | p50 (ms) | p95 (ms) | max (ms) | p50 vs today | note |`,
      `| --- | ---: | ---: | ---: | ---: | ---: | --- |`,
      ...rows.map(
        (r) => `| ${r.contender} | ${r.samples} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.max.toFixed(1)} | ${(today.p50 / r.p50).toFixed(1)}x faster | ${r.note} |`,
      ),
      '',
      `Targets (p50 <= 20 ms, p95 <= 50 ms): schema pool ${verdict(pooled)}; with background refills ${verdict(busy)}; database pool ${verdict(dbPooled)}.`,
      `Pool vs template clone, p50: ${(clone.p50 / pooled.p50).toFixed(1)}x faster.`,
      `Filling the pool (migrate, ${extra.poolSpares} spares x ${n} migrations, default concurrency): ${(extra.poolFillMs / 1000).toFixed(1)} s, ` +
        `${(extra.poolFillMs / extra.poolSpares).toFixed(0)} ms per spare: what a refill costs the server, off the sign-up's path.`,
      `Filling the database pool (migrate, ${extra.poolSpares} spare databases): ${(extra.databasePoolFillMs / 1000).toFixed(1)} s, ` +
        `${(extra.databasePoolFillMs / extra.poolSpares).toFixed(0)} ms per spare database.`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(join(__dirname, 'results', 'onboard-pool.json'), JSON.stringify({ date: new Date().toISOString(), migrations: n, samples, rows, ...extra }, null, 2));
  } finally {
    rmSync(work, { recursive: true, force: true });
    // The database pool's spares and tenant databases first (their names are in its home database).
    const spares = await admin(db('dbpool'), (c) => c.query<{ name: string }>('SELECT name FROM fleet_spares')).catch(() => ({ rows: [] as Array<{ name: string }> }));
    const tenantDbs = await admin('postgres', (c) => c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [`${db('t')}_`]));
    for (const name of [...spares.rows.map((r) => r.name), ...tenantDbs.rows.map((r) => r.datname)]) await dropDb(name).catch(() => undefined);
    for (const s of ['full', 'pool', 'dbpool', 'home', 'tmpl']) await dropDb(db(s)).catch(() => undefined);
  }
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
