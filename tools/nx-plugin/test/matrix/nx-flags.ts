/**
 * The options `nx run` keeps for itself, read from an installed Nx's own command definition, and
 * the Fleet target options that collide with them. Nx parses its own options before the
 * executor's: an option of a Fleet target with one of those names never reaches Fleet
 * (`nx run api:revert --target=api/main/acme` reverted every tenant).
 */
import type { VerbDefinition } from '@fleet/core';
import { ok } from './process';

export interface NxRunOptions {
  version: string;
  /** Every option key and alias `nx run` declares (camelCase as Nx declares them). */
  options: string[];
}

/**
 * Runs in the workspace with its own Nx: builds `nx run`'s yargs command (the builder of
 * `yargsRunCommand`, the same object `nx <target> <project>` uses) on an empty parser and lists
 * its options and aliases.
 */
const PROBE = `
const { dirname, join } = require('node:path');
const { existsSync } = require('node:fs');
const nxDir = dirname(require.resolve('nx/package.json', { paths: [process.cwd()] }));
const file = ['dist/src/command-line/run/command-object.js', 'src/command-line/run/command-object.js'].map((c) => join(nxDir, c)).find((f) => existsSync(f));
if (!file) throw new Error('no definition of nx run under ' + nxDir);
const { yargsRunCommand } = require(file);
const yargs = require(require.resolve('yargs', { paths: [nxDir] }));
const parser = yargs([]);
yargsRunCommand.builder(parser);
const o = parser.getOptions();
const options = new Set([...Object.keys(o.key), ...Object.keys(o.alias), ...Object.values(o.alias).flat()]);
process.stdout.write(JSON.stringify({ version: require(join(nxDir, 'package.json')).version, options: [...options] }));
`;

export async function nxRunOptions(workspace: string): Promise<NxRunOptions> {
  const out = await ok(process.execPath, ['-e', PROBE], workspace);
  return JSON.parse(out);
}

export const kebab = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

export interface Collision {
  verb: string;
  option: string;
  nxOption: string;
}

/** Every option of every verb that is an Nx target whose name (camelCase or kebab-case) Nx also takes. */
export function collisions(verbs: readonly VerbDefinition[], nx: NxRunOptions): Collision[] {
  const taken = new Map<string, string>();
  for (const o of nx.options) taken.set(kebab(o), o);
  const found: Collision[] = [];
  for (const verb of verbs) {
    if (verb.nx === false) continue;
    const names = [...(verb.positional ? [verb.positional.name] : []), ...verb.options.flatMap((o) => [o.name, ...(o.flag ? [o.flag] : [])])];
    for (const name of new Set(names)) {
      const nxOption = taken.get(kebab(name));
      if (nxOption) found.push({ verb: verb.name, option: name, nxOption });
    }
  }
  return found;
}
