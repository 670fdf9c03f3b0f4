// Prints the path of a Node.js binary of an exact version, for the CI steps that run part of the
// suite on another Node than the one CI runs on. Node's own builds are published to the npm
// registry (node-<os>-<arch>, one package per release): it is packed from there once and kept
// in ~/.cache/fleet-compat (FLEET_COMPAT_CACHE overrides), as the compatibility matrix keeps its
// installs. Usage: node tools/ci/node-binary.js 24.22.3
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } = require('node:fs');
const { homedir } = require('node:os');
const { join } = require('node:path');

const version = process.argv[2];
if (!/^\d+\.\d+\.\d+$/.test(version ?? '')) {
  process.stderr.write(`usage: node tools/ci/node-binary.js <exact version, e.g. 24.22.3>; got ${JSON.stringify(version)}\n`);
  process.exit(2);
}
const pkg = `node-${process.platform}-${process.arch}`;
const cache = join(process.env.FLEET_COMPAT_CACHE || join(homedir(), '.cache', 'fleet-compat'), `${pkg}-${version}`);
const binary = join(cache, 'bin', 'node');
if (!existsSync(binary)) {
  mkdirSync(join(cache, '..'), { recursive: true });
  const scratch = mkdtempSync(`${cache}.tmp-`);
  try {
    execFileSync('npm', ['pack', `${pkg}@${version}`, '--pack-destination', scratch, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const tarball = readdirSync(scratch).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${pkg}@${version} wrote no tarball`);
    execFileSync('tar', ['xzf', join(scratch, tarball), '-C', scratch]);
    // Moved whole, once complete: a run stopped halfway leaves no binary to trust.
    rmSync(cache, { recursive: true, force: true });
    renameSync(join(scratch, 'package'), cache);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
const actual = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
if (actual !== `v${version}`) {
  process.stderr.write(`${binary} says ${actual}, not v${version}\n`);
  process.exit(1);
}
process.stdout.write(`${binary}\n`);
