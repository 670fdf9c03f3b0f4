/**
 * Start-up benchmark: how long the commands a person types take, side by side in one run.
 *   npm run bench:startup [-- --runs 7]
 * - `fleet --help` (no database);
 * - `fleet status --app app1` (app1's two databases, one global track and the tenant track);
 * - `typeorm migration:show` on app1's audit database, the same migrations, through the same
 *   TypeScript loader (@swc-node/register), for comparison;
 * each a fresh process, median of N runs. Figures go to BENCHMARKS.md; compare the ratios.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';

const ROOT = resolve(__dirname, '..', '..');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 7;
const server = { host: process.env.PGHOST || '127.0.0.1', port: Number(process.env.PGPORT || 5432), user: process.env.PGUSER || 'root', password: process.env.PGPASSWORD };
const url = (db: string) => `postgres://${encodeURIComponent(server.user)}${server.password ? `:${encodeURIComponent(server.password)}` : ''}@${server.host}:${server.port}/${db}`;

async function admin(sql: string): Promise<void> {
  const c = new Client({ ...server, database: 'postgres' });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

function time(label: string, args: string[], env: NodeJS.ProcessEnv): { label: string; medianMs: number; all: number[] } {
  const all: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: ROOT, env: { ...process.env, CI: 'true', ...env }, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0 && !(label.startsWith('fleet status') && r.status === 1)) throw new Error(`${label} failed (${r.status}): ${r.stderr}`);
    all.push(ms);
  }
  const sorted = [...all].sort((a, b) => a - b);
  return { label, medianMs: sorted[Math.floor(sorted.length / 2)], all };
}

async function main(): Promise<void> {
  const users = `fleet_bench_startup_users_${process.pid}`;
  const audit = `fleet_bench_startup_audit_${process.pid}`;
  const env = { APP1_USERS_DATABASE_URL: url(users), APP1_AUDIT_DATABASE_URL: url(audit) };
  const dir = join(ROOT, 'tmp', `bench-startup-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const fleet = join(ROOT, 'libs/fleet/bin/fleet.js');
    const setup = spawnSync(process.execPath, [fleet, 'migrate', '--app', 'app1'], { cwd: ROOT, env: { ...process.env, CI: 'true', ...env }, encoding: 'utf8' });
    if (setup.status !== 0) throw new Error(`setup migrate failed: ${setup.stderr}`);
    // TypeORM's own CLI on the same database and migrations (TypeORM's migrations table stands in for Fleet's).
    const dataSource = join(dir, 'typeorm.data-source.ts');
    writeFileSync(
      dataSource,
      `import { DataSource } from 'typeorm';
export default new DataSource({ type: 'postgres', url: ${JSON.stringify(url(audit))}, migrations: [${JSON.stringify(join(ROOT, 'apps/app1/src/databases/audit/migrations/*.ts'))}] });
`,
    );
    const typeormCli = join(ROOT, 'node_modules/typeorm/cli.js');
    // The library compiled to JavaScript (npm run build), as a packaged bin would run it.
    const compiled = join(dir, 'dist');
    const build = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'libs/fleet/tsconfig.lib.json', '--outDir', compiled], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed: ${build.stdout}${build.stderr}`);
    // The packaged layout: bin/fleet.js next to the compiled tree runs it (user files through the scoped loader).
    mkdirSync(join(compiled, 'bin'), { recursive: true });
    copyFileSync(join(ROOT, 'libs/fleet/bin/fleet.js'), join(compiled, 'bin/fleet.js'));
    const compiledMain = (args: string[]) => [join(compiled, 'bin/fleet.js'), ...args];
    const show = time('typeorm migration:show (audit database)', ['-r', '@swc-node/register', typeormCli, 'migration:show', '-d', dataSource], env);
    const results = [
      time('fleet --help', [fleet, '--help'], env),
      time('fleet --help (compiled JS)', compiledMain(['--help']), env),
      time('fleet status --app app1', [fleet, 'status', '--app', 'app1'], env),
      time('fleet status --app app1 (compiled JS)', compiledMain(['status', '--app', 'app1']), env),
      show,
    ];
    process.stdout.write(`start-up, median of ${runs} fresh processes each, one run:\n\n| command | median (ms) | vs typeorm migration:show |\n| --- | ---: | ---: |\n`);
    for (const r of results) process.stdout.write(`| ${r.label} | ${Math.round(r.medianMs)} | ${(r.medianMs / show.medianMs).toFixed(2)}x |\n`);
    mkdirSync(join(ROOT, 'tools/bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'tools/bench/results/startup.json'), JSON.stringify({ runs, results }, null, 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await admin(`DROP DATABASE IF EXISTS "${users}" WITH (FORCE)`);
    await admin(`DROP DATABASE IF EXISTS "${audit}" WITH (FORCE)`);
  }
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
