/**
 * Benchmark contender: the naive TypeORM pattern. For each tenant, one after the other: a new
 * DataSource with the tenant's schema and search_path, runMigrations({ transaction: 'all' }),
 * destroy. Prints one JSON line.
 */
import 'reflect-metadata';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';

async function main(): Promise<void> {
  const url = process.env.BENCH_DATABASE_URL!;
  const dir = join(__dirname, '..', 'workload');

  const migrations = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .flatMap((f) => Object.values(require(join(dir, f))) as Array<new () => unknown>);
  const admin = new DataSource({ type: 'postgres', url });
  await admin.initialize();
  const schemas: Array<{ nspname: string }> = await admin.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%' ORDER BY 1`);
  await admin.destroy();
  const started = Date.now();
  for (const { nspname } of schemas) {
    const ds = new DataSource({
      type: 'postgres',
      url,
      schema: nspname,
      migrations,
      migrationsTableName: 'typeorm_migrations',
      installExtensions: false,
      extra: { options: `-c search_path="${nspname}"` },
    });
    await ds.initialize();
    await ds.runMigrations({ transaction: 'all' });
    await ds.destroy();
  }
  process.stdout.write(`${JSON.stringify({ ok: true, targets: schemas.length, engineMs: Date.now() - started, maxRssKb: process.resourceUsage().maxRSS })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
