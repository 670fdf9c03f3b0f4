import { migrate, status } from '@fleet/core';
import { join } from 'node:path';
async function main() {
  const conc = Number(process.argv[2] ?? 4);
  const root = '/work/main';
  const m0 = process.memoryUsage().rss;
  const c0 = process.cpuUsage();
  const t0 = Date.now();
  const report = await migrate({ config: join(root, 'tools/bench/fleet.config.ts'), workspaceRoot: root, concurrency: conc });
  const c1 = process.cpuUsage(c0);
  console.log(JSON.stringify({ conc, ok: report.ok, ms: Date.now() - t0, cpuUserMs: c1.user / 1000, cpuSysMs: c1.system / 1000, rssStartMb: m0 / 1e6, maxRssMb: process.resourceUsage().maxRSS / 1024, heapMb: process.memoryUsage().heapUsed / 1e6 }));
  const t1 = Date.now(); const st = await status({ config: join(root, 'tools/bench/fleet.config.ts'), workspaceRoot: root }); console.log('status ms', Date.now() - t1, st.statements);
  const t2 = Date.now(); await status({ config: join(root, 'tools/bench/fleet.config.ts'), workspaceRoot: root }); console.log('status again ms', Date.now() - t2);
}
main();
