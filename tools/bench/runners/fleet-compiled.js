// Benchmark contender: Fleet's API from the compiled package (npm run build: dist/libs/fleet), as an
// installed app runs it; the bench's fleet.config.ts goes through Fleet's scoped loader. One JSON line.
'use strict';
const { join } = require('node:path');
const { migrate } = require(process.env.FLEET_CORE_DIR);

async function main() {
  const concurrency = Number(process.argv[2] ?? 4);
  const started = Date.now();
  const report = await migrate({ config: join(__dirname, '..', 'fleet.config.ts'), workspaceRoot: join(__dirname, '..', '..', '..'), concurrency });
  process.stdout.write(
    `${JSON.stringify({ ok: report.ok, targets: report.summary.targets, engineMs: Date.now() - started, maxRssKb: process.resourceUsage().maxRSS, summary: report.summary })}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
