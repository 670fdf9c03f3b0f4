/** Packs @fleet/core and @fleet/nx-plugin from this repository's working tree, as `npm run pack` does. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '../run-nx';
import { ok } from './process';

export interface Tarballs {
  core: string;
  plugin: string;
}

/** Packs into `dest`; with FLEET_COMPAT_TARBALLS=<dir>, takes the tarballs already there (a release build's). */
export async function packTarballs(dest: string): Promise<Tarballs> {
  if (process.env.FLEET_COMPAT_TARBALLS) return tarballsIn(process.env.FLEET_COMPAT_TARBALLS);
  await ok(process.execPath, ['-r', '@swc-node/register', 'tools/release/build-packages.ts', '--pack', '--dest', dest], WORKSPACE_ROOT, {
    SWC_NODE_PROJECT: join(WORKSPACE_ROOT, 'tsconfig.base.json'),
  });
  return tarballsIn(dest);
}

function tarballsIn(dest: string): Tarballs {
  const files = readdirSync(dest);
  const find = (prefix: string) => {
    const file = files.find((f) => f.startsWith(prefix) && f.endsWith('.tgz'));
    if (!file) throw new Error(`no ${prefix}*.tgz in ${dest}`);
    return join(dest, file);
  };
  return { core: find('fleet-core-'), plugin: find('fleet-nx-plugin-') };
}
