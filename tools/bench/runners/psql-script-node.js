// Benchmark contender: the psql contender's statements sent from Node by node-postgres, one per
// round trip (the simple protocol, as psql sends them), one session per file given, all in this one
// process (as Fleet runs its sessions). What a Node client costs beside psql's C for the same work:
// the bound Fleet's own client can reach on this machine. One JSON line.
'use strict';
const { readFileSync } = require('node:fs');
const { Client } = require('pg');

async function session(file) {
  const statements = JSON.parse(readFileSync(file, 'utf8'));
  const client = new Client({ connectionString: process.env.BENCH_DATABASE_URL });
  await client.connect();
  try {
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.end();
  }
}

async function main() {
  const started = Date.now();
  await Promise.all(process.argv.slice(2).map(session));
  process.stdout.write(`${JSON.stringify({ ok: true, targets: null, engineMs: Date.now() - started, maxRssKb: process.resourceUsage().maxRSS, summary: {} })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
