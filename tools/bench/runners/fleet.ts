/** Benchmark contender: Fleet's API migrating every tenant of BENCH_DATABASE_URL. Prints one JSON line. */
import { migrate } from '@fleet/core';
import { join } from 'node:path';

async function main(): Promise<void> {
  const concurrency = Number(process.argv[2] ?? 4);
  const started = Date.now();
  const report = await migrate({ config: join(__dirname, '..', 'fleet.config.ts'), workspaceRoot: join(__dirname, '..', '..', '..'), concurrency });
  process.stdout.write(
    `${JSON.stringify({ ok: report.ok, targets: report.summary.targets, engineMs: Date.now() - started, maxRssKb: process.resourceUsage().maxRSS, summary: report.summary })}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
