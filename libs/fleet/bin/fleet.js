#!/usr/bin/env node
// The `fleet` command: runs the TypeScript CLI through @swc-node/register (no build step).
'use strict';
const { join } = require('node:path');
if (!process.env.SWC_NODE_PROJECT && !process.env.TS_NODE_PROJECT) {
  process.env.SWC_NODE_PROJECT = join(__dirname, '..', '..', '..', 'tsconfig.base.json');
}
require('@swc-node/register');
require('../src/cli/main')
  .main(process.argv.slice(2))
  .then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`fleet: ${err && err.stack ? err.stack : err}\n`);
      process.exit(1);
    },
  );
