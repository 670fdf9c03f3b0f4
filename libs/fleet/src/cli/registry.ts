/**
 * The verbs: every module in ./verbs whose default export is a verb definition. A new verb is a
 * new module there; the CLI, its help, and the Nx targets and executors pick it up.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { VerbDefinition } from './verb';

/** How `fleet --help` and `nx show project` list them; verbs not named here follow, by name. */
const ORDER = [
  'migrate',
  'revert',
  'status',
  'history',
  'stamp',
  'verify',
  'drift',
  'lint',
  'cadence-check',
  'shared-tables',
  'tenant-create',
  'tenant-drop',
  'worker',
  'run-status',
];

let loaded: VerbDefinition[] | undefined;

export function verbs(): VerbDefinition[] {
  if (loaded) return loaded;
  const dir = join(__dirname, 'verbs');
  const found: VerbDefinition[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!/\.(ts|js)$/.test(file) || file.endsWith('.d.ts') || /\.(spec|test)\./.test(file)) continue;

    const verb = (require(join(dir, file)) as { default?: VerbDefinition }).default;
    if (verb && typeof verb === 'object' && typeof verb.name === 'string' && typeof verb.run === 'function') found.push(verb);
  }
  const rank = (v: VerbDefinition) => (ORDER.includes(v.name) ? ORDER.indexOf(v.name) : ORDER.length);
  loaded = found.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  return loaded;
}

export function findVerb(name: string): VerbDefinition | undefined {
  return verbs().find((v) => v.name === name);
}
