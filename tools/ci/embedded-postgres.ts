/**
 * Starts Fleet's embedded PostgreSQL for CI on a machine with no server, prints the libpq
 * variables to use, and keeps it running until this process is stopped (SIGTERM/SIGINT).
 *   node -r @swc-node/register tools/ci/embedded-postgres.ts <data-dir> <port>
 */
import { startEmbeddedServer } from '../../libs/fleet/src/db/embedded-server';

async function main(): Promise<void> {
  const [dataDir, port] = process.argv.slice(2);
  const server = await startEmbeddedServer(process.cwd(), { FLEET_EMBEDDED_DIR: dataDir, FLEET_EMBEDDED_PORT: port }, (m) => process.stderr.write(`${m}\n`));
  process.stdout.write(`PGHOST=${server.spec.host} PGPORT=${server.spec.port} PGUSER=${server.spec.user} PGPASSWORD=${server.spec.password}\n`);
  const stop = () => {
    server.stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  setInterval(() => undefined, 1 << 30);
}

main().catch((err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
