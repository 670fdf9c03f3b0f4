#!/usr/bin/env node
// The `fleet` command: runs the TypeScript CLI through @swc-node/register (no build step).
'use strict';
const { join } = require('node:path');
if (!process.env.SWC_NODE_PROJECT && !process.env.TS_NODE_PROJECT) {
  process.env.SWC_NODE_PROJECT = join(__dirname, '..', '..', '..', 'tsconfig.base.json');
}
require('@swc-node/register');
// Exit only once stdout and stderr have drained: a --json document piped into a slow reader
// must arrive whole (process.exit() with a full pipe buffer cuts it at 64 KiB).
const exitAfterFlush = (code) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
require('../src/cli/main')
  .main(process.argv.slice(2))
  .then(exitAfterFlush, (err) => {
    process.stderr.write(`fleet: ${err && err.stack ? err.stack : err}\n`);
    exitAfterFlush(1);
  });
