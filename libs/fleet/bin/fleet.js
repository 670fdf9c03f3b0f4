#!/usr/bin/env node
// The `fleet` command. In the published package it runs the compiled JavaScript next to it
// (../cli/main.js). In Fleet's own repository, where there is no build step, it runs the
// TypeScript sources through @swc-node/register (a devDependency of the repository only).
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

function loadCli() {
  const compiled = join(__dirname, '..', 'cli', 'main.js');
  if (existsSync(compiled)) return require(compiled);
  if (!process.env.SWC_NODE_PROJECT && !process.env.TS_NODE_PROJECT) {
    process.env.SWC_NODE_PROJECT = join(__dirname, '..', '..', '..', 'tsconfig.base.json');
  }
  require('@swc-node/register');
  return require('../src/cli/main');
}

// Exit only once stdout and stderr have drained: a --json document piped into a slow reader
// must arrive whole (process.exit() with a full pipe buffer cuts it at 64 KiB).
const exitAfterFlush = (code) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
let cli;
try {
  cli = loadCli();
  // A fleet process collects garbage sooner than V8 would (see src/cli/heap.ts).
  cli.tuneHeapGrowth();
} catch (err) {
  process.stderr.write(`fleet: ${err && err.message ? err.message : err}\n`);
  process.exit(2);
}
cli.main(process.argv.slice(2)).then(exitAfterFlush, (err) => {
  process.stderr.write(`fleet: ${err && err.stack ? err.stack : err}\n`);
  exitAfterFlush(1);
});
