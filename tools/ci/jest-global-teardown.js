// Stops the embedded PostgreSQL that jest-global-setup.js started, if it did.
'use strict';
const { rmSync } = require('node:fs');

module.exports = async function globalTeardown() {
  const embedded = globalThis.__FLEET_EMBEDDED__;
  if (!embedded) return;
  await new Promise((resolve) => {
    embedded.child.once('exit', resolve);
    embedded.child.kill('SIGTERM');
    setTimeout(resolve, 10_000).unref();
  });
  rmSync(embedded.dataDir, { recursive: true, force: true });
};
