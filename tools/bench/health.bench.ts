/**
 * `npm run bench:health [-- --tenants 200 --repeat 3 --replica-tenants 50]`
 *
 * Health-aware pacing, two figures in one run:
 * 1. Its cost on a healthy server: the WORKLOAD.md tenant migrations (tools/bench/workload) on N
 *    fresh empty tenant schemas, `health: false` and the default health checks, interleaved
 *    `--repeat` times in this process; medians and their ratio.
 * 2. What it does on a lagging standby (a primary + streaming standby started here, as the tests
 *    do; skipped with a note when PostgreSQL's server binaries are missing): replay paused on the
 *    standby and WAL written, then `migrate` of M tenants with pacing off, and with pacing on
 *    (maxReplicationLagBytes 1 MB, checkEveryMs 200); replay resumes 2 s after each run's first target came up. Reported:
 *    wall time, how far behind the standby was at most during the run (sampled every 50 ms), how
 *    long the run paused, and how long after replay resumed the run resumed.
 * Absolute numbers vary with the machine (2 shared cores here): compare inside one run.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { migrate } from '../../libs/fleet/src/commands/run-commands';
import type { FleetEvent } from '../../libs/fleet/src/events';
import { queryOn, startReplicaPair } from '../../libs/fleet/src/testing/replica';
import { arg, server } from './lib/bench-server';

const ROOT = resolve(__dirname, '..', '..');
const url = (host: string, port: number, user: string, db: string) => `postgres://${encodeURIComponent(user)}@${host}:${port}/${db}`;

async function onServer<T>(conn: { host: string; port: number; user: string; password?: string }, db: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ ...conn, database: db });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A fresh database of `n` empty tenant schemas tenant_0001 ... (the bench fleet's discovery finds them). */
async function freshFleet(conn: { host: string; port: number; user: string }, db: string, n: number): Promise<void> {
  await onServer(conn, 'postgres', (c) => c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`));
  await onServer(conn, 'postgres', (c) => c.query(`CREATE DATABASE "${db}"`));
  await onServer(conn, db, (c) => c.query(`DO $$ BEGIN FOR i IN 1..${n} LOOP EXECUTE format('CREATE SCHEMA %I', 'tenant_' || lpad(i::text, 4, '0')); END LOOP; END $$`));
}

/** The bench fleet (tools/bench/fleet.config.ts) with `health` set, written where it resolves like an app. */
function writeConfig(dir: string, name: string, health: unknown): string {
  const config = {
    app: 'bench',
    databases: {
      main: {
        urlEnv: 'BENCH_DATABASE_URL',
        migrations: join(ROOT, 'tools/bench/global'),
        transactionMode: 'all',
        tenants: {
          strategy: 'schema',
          schemaTemplate: 'tenant_{id}',
          migrations: join(ROOT, 'tools/bench/workload'),
          discover: { sql: "SELECT substr(nspname, 8) AS id FROM pg_catalog.pg_namespace WHERE nspname LIKE 'tenant\\_%' ORDER BY 1" },
          maxSchemasPerDatabase: 100_000,
        },
      },
    },
    health,
  };
  const file = join(dir, `${name}.config.ts`);
  writeFileSync(file, `export default ${JSON.stringify(config, null, 2)};\n`);
  return file;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function overhead(dir: string, tenants: number, repeat: number): Promise<Record<string, unknown>> {
  const off = writeConfig(dir, 'off', false);
  const on = writeConfig(dir, 'on', {});
  const db = `fleet_bench_health_${process.pid}`;
  const walls: Record<'off' | 'on', number[]> = { off: [], on: [] };
  try {
    // A first run loads and compiles the migrations and fills the tenant lint's cache: not measured.
    await freshFleet(server, db, tenants);
    await migrate({ config: off, workspaceRoot: ROOT, concurrency: 4, env: { BENCH_DATABASE_URL: url(server.host, server.port, server.user, db) } });
    for (let i = 0; i < repeat; i++) {
      // Each pair in both orders by turns.
      const pair: Array<['off' | 'on', string]> = [
        ['off', off],
        ['on', on],
      ];
      for (const [label, config] of i % 2 === 0 ? pair : pair.reverse()) {
        await freshFleet(server, db, tenants);
        const started = Date.now();
        const report = await migrate({ config, workspaceRoot: ROOT, concurrency: 4, env: { BENCH_DATABASE_URL: url(server.host, server.port, server.user, db) } });
        const wall = Date.now() - started;
        if (!report.ok || report.summary.changed !== tenants) throw new Error(`${label}: ${JSON.stringify(report.summary)}`);
        walls[label].push(wall);
        console.log(`  run ${i + 1} health ${label.padEnd(3)} ${secs(wall)}${report.health ? ` (paused: ${report.health.pauses.length})` : ''}`);
      }
    }
  } finally {
    await onServer(server, 'postgres', (c) => c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`));
  }
  const result = { tenants, repeat, offMs: walls.off, onMs: walls.on, medianOffMs: median(walls.off), medianOnMs: median(walls.on), ratio: median(walls.on) / median(walls.off) };
  console.log(`health checks on / off (median of ${repeat}, ${tenants} tenants): ${secs(result.medianOnMs)} / ${secs(result.medianOffMs)} = ${result.ratio.toFixed(2)}x`);
  return result;
}

async function onALaggingStandby(dir: string, tenants: number): Promise<Record<string, unknown>> {
  let pair;
  try {
    pair = await startReplicaPair();
  } catch (err) {
    console.log(`lagging standby: skipped (${(err as Error).message})`);
    return { skipped: (err as Error).message };
  }
  const out: Record<string, unknown> = { tenants };
  try {
    const conn = { host: '127.0.0.1', port: pair.primaryPort, user: 'postgres' };
    const behind = async () =>
      Number((await queryOn<{ b: string }>(pair.primaryPort, 'SELECT max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn))::text AS b FROM pg_stat_replication'))[0].b);
    const configs = { off: writeConfig(dir, 'replica-off', false), on: writeConfig(dir, 'replica-on', { maxReplicationLagBytes: 1024 * 1024, checkEveryMs: 200 }) };
    for (const label of ['off', 'on'] as const) {
      const db = `fleet_bench_health_${label}`;
      await freshFleet(conn, db, tenants);
      await queryOn(pair.standbyPort, 'SELECT pg_wal_replay_pause()');
      await queryOn(pair.primaryPort, 'CREATE TABLE IF NOT EXISTS filler AS SELECT g FROM generate_series(1, 1) g');
      await queryOn(pair.primaryPort, 'INSERT INTO filler SELECT g FROM generate_series(1, 100000) g');
      const before = await behind();
      // How far behind the standby is, at most, during the run: sampled every 50 ms.
      let peak = before;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          peak = Math.max(peak, await behind());
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      let resumedReplayAt = 0;
      let resumedRunAt = 0;
      let resumeTimer: NodeJS.Timeout | undefined;
      const onEvent = (e: FleetEvent) => {
        // Replay resumes 2 s after the first target came up (after the pre-migrate lint, whose time varies with the load).
        if (e.type === 'target-start' && !resumeTimer)
          resumeTimer = setTimeout(() => {
            resumedReplayAt = Date.now();
            void queryOn(pair.standbyPort, 'SELECT pg_wal_replay_resume()');
          }, 2_000);
        if (e.type === 'health' && e.state === 'resumed') resumedRunAt = Date.now();
      };
      const started = Date.now();
      const report = await migrate({ config: configs[label], workspaceRoot: ROOT, concurrency: 4, onEvent, env: { BENCH_DATABASE_URL: url(conn.host, conn.port, conn.user, db) } });
      const wall = Date.now() - started;
      sampling = false;
      await sampler;
      clearTimeout(resumeTimer);
      await queryOn(pair.standbyPort, 'SELECT pg_wal_replay_resume()');
      if (!report.ok) throw new Error(`${label}: ${JSON.stringify(report.summary)}`);
      const pausedMs = report.health?.pauses.reduce((sum, p) => sum + p.durationMs, 0) ?? 0;
      const reaction = resumedRunAt && resumedReplayAt ? resumedRunAt - resumedReplayAt : null;
      out[label] = { wallMs: wall, behindAtStartBytes: before, peakBehindBytes: peak, pausedMs, resumeReactionMs: reaction };
      const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
      console.log(
        `  pacing ${label.padEnd(3)} ${secs(wall)}: standby ${mb(before)} behind at the start, at most ${mb(peak)} during the run` +
          (label === 'on' ? `; paused ${secs(pausedMs)}, resumed ${reaction} ms after replay resumed` : ''),
      );
    }
  } finally {
    await pair.stop();
  }
  return out;
}

async function main(): Promise<void> {
  const dir = join(ROOT, 'tmp', `bench-health-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    console.log('1. cost of the health checks on a healthy server');
    const cost = await overhead(dir, arg('tenants', 200), arg('repeat', 3));
    console.log('2. a standby whose replay is paused');
    const lag = await onALaggingStandby(dir, arg('replica-tenants', 50));
    mkdirSync(join(ROOT, 'tools/bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'tools/bench/results/health-latest.json'), JSON.stringify({ at: new Date().toISOString(), cost, lag }, null, 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
