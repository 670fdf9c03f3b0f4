/**
 * `npm run demo [-- --tenants N]`: a schema-per-tenant fleet and a sharded fleet, migrated with
 * the progress view. Uses the same connections as `nx run app1:migrate` (the embedded PostgreSQL
 * when nothing is configured).
 *   1. app1's global track creates the tenant registry;
 *   2. N demo tenants are registered (demo_0001 ...; every third on the pro plan);
 *   3. app1 migrates every tenant schema in parallel under the connection budget;
 *   4. app2 migrates its analytics shards;
 *   5. verify proves every target is at head.
 */
import { formatRunReport, formatVerify, migrate, ProgressReporter, registerTenants, verify } from '@fleet/core';
import { startEmbeddedServer } from '@fleet/core/db/embedded-server';
import { resolve } from 'node:path';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--tenants');
  const count = at >= 0 ? Number(args[at + 1]) : 200;
  if (!Number.isInteger(count) || count < 1 || count > 100_000) throw new Error('--tenants must be a whole number from 1 to 100000');
  const workspaceRoot = resolve(__dirname, '..', '..');
  const progress = () => new ProgressReporter((t) => process.stderr.write(t), { isTTY: !!process.stderr.isTTY && !process.env.CI }).listener;

  // Keep one embedded server up for the whole demo (each command would otherwise start its own).
  const needsEmbedded = !process.env.PGHOST && !process.env.APP1_USERS_DATABASE_URL;
  const embedded = needsEmbedded ? await startEmbeddedServer(workspaceRoot, process.env, (m) => process.stderr.write(`${m}\n`)) : undefined;
  try {
    console.log(`\n== app1: global track (tenant registry)`);
    console.log(formatRunReport(await migrate({ app: 'app1', workspaceRoot, onEvent: progress() })));

    const tenants = Array.from({ length: count }, (_, i) => ({
      id: `demo_${String(i + 1).padStart(4, '0')}`,
      attributes: { plan: i % 3 === 0 ? 'pro' : 'free' },
    }));
    const added = await registerTenants({ app: 'app1', workspaceRoot, tenants });
    console.log(`\n== registered ${added} new demo tenant(s) (${count} in all)`);

    console.log(`\n== app1: every tenant schema`);
    const fleet = await migrate({ app: 'app1', workspaceRoot, onEvent: progress() });
    console.log(formatRunReport(fleet));

    console.log(`\n== app2: analytics shards`);
    const shards = await migrate({ app: 'app2', workspaceRoot, onEvent: progress() });
    console.log(formatRunReport(shards));

    console.log(`\n== verify`);
    const v1 = await verify({ app: 'app1', workspaceRoot });
    const v2 = await verify({ app: 'app2', workspaceRoot });
    console.log(formatVerify(v1));
    console.log(formatVerify(v2));
    return fleet.ok && shards.ok && v1.ok && v2.ok ? 0 : 1;
  } finally {
    await embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err?.stack ?? err);
    process.exit(1);
  },
);
