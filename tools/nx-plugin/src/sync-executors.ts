/**
 * The Nx executors and their option schemas, generated from @fleet/core's verb registry:
 * `executors.json`, `src/executors/<verb>/{executor.ts,schema.json}` and
 * `src/executors/schema.d.ts`. Run `npm run sync:executors` after adding a verb; a test fails
 * while the files on disk differ from what this produces.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OptionSpec, VerbDefinition, verbs } from '@fleet/core';

const ROOT = join(__dirname, '..');

/** The verbs that are Nx targets. */
export function nxVerbs(): VerbDefinition[] {
  return verbs().filter((v) => v.nx !== false);
}

function jsonType(option: OptionSpec): Record<string, unknown> {
  switch (option.kind) {
    case 'boolean':
      return { type: 'boolean' };
    case 'integer':
      return { type: 'number' };
    case 'string':
      return option.choices ? { type: 'string', enum: [...option.choices] } : { type: 'string' };
    default:
      // list, share, pairs: the same text as on the command line (a,b / 2/4 / plan=pro,region=eu)
      return { type: 'string' };
  }
}

function schemaOf(verb: VerbDefinition): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  if (verb.positional) properties[verb.positional.name] = { type: 'string', description: verb.positional.description };
  for (const o of verb.options) properties[o.name] = { ...jsonType(o), description: o.description };
  return {
    $schema: 'https://json-schema.org/schema',
    version: 2,
    title: `Fleet ${verb.name}`,
    description: verb.summary,
    type: 'object',
    properties,
    required: verb.positional ? [verb.positional.name] : [],
    additionalProperties: false,
  };
}

function tsType(option: OptionSpec): string {
  if (option.kind === 'boolean') return 'boolean';
  if (option.kind === 'integer') return 'number';
  if (option.kind === 'string' && option.choices) return option.choices.map((c) => `'${c}'`).join(' | ');
  return 'string';
}

/** Every generated file, by path relative to the plugin's root. */
export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const executors: Record<string, unknown> = {};
  const fields = new Map<string, string>();
  for (const verb of nxVerbs()) {
    const dir = `src/executors/${verb.name}`;
    executors[verb.name] = { implementation: `./${dir}/executor`, schema: `./${dir}/schema.json`, description: verb.summary };
    files.set(`${dir}/schema.json`, `${JSON.stringify(schemaOf(verb), null, 2)}\n`);
    const fn = `${verb.name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())}Executor`;
    files.set(
      `${dir}/executor.ts`,
      `// Generated from @fleet/core's verb registry by src/sync-executors.ts: do not edit.
import type { ExecutorContext } from '@nx/devkit';
import { runVerb } from '../run-verb';
import type { FleetExecutorOptions } from '../schema';

export default function ${fn}(options: FleetExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  return runVerb('${verb.name}', options as Record<string, unknown>, context);
}
`,
    );
    if (verb.positional) fields.set(verb.positional.name, `  /** ${verb.positional.description} */\n  ${verb.positional.name}?: string;`);
    for (const o of verb.options) if (!fields.has(o.name)) fields.set(o.name, `  /** ${o.description} */\n  ${o.name}?: ${tsType(o)};`);
  }
  files.set('executors.json', `${JSON.stringify({ executors }, null, 2)}\n`);
  files.set(
    'src/executors/schema.d.ts',
    `// Generated from @fleet/core's verb registry by src/sync-executors.ts: do not edit.
/** The options of every Fleet executor (each executor's schema.json accepts its own subset, nothing else). */
export interface FleetExecutorOptions {
${[...fields.values()].join('\n')}
}
`,
  );
  return files;
}

/** Files that differ from the registry (or should not be there). */
export function outOfSync(): string[] {
  const wanted = generatedFiles();
  const stale = [...wanted].filter(([path, content]) => !existsSync(join(ROOT, path)) || readFileSync(join(ROOT, path), 'utf8') !== content).map(([p]) => p);
  const verbsDir = join(ROOT, 'src/executors');
  for (const entry of readdirSync(verbsDir, { withFileTypes: true })) {
    if (entry.isDirectory() && !wanted.has(`src/executors/${entry.name}/executor.ts`)) stale.push(`src/executors/${entry.name}/ (no such verb)`);
  }
  return stale;
}

export function writeGeneratedFiles(): string[] {
  const written: string[] = [];
  for (const [path, content] of generatedFiles()) {
    const file = join(ROOT, path);
    if (existsSync(file) && readFileSync(file, 'utf8') === content) continue;
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, content);
    written.push(path);
  }
  const wanted = generatedFiles();
  for (const entry of readdirSync(join(ROOT, 'src/executors'), { withFileTypes: true })) {
    if (entry.isDirectory() && !wanted.has(`src/executors/${entry.name}/executor.ts`)) {
      rmSync(join(ROOT, 'src/executors', entry.name), { recursive: true });
      written.push(`src/executors/${entry.name}/ (removed)`);
    }
  }
  return written;
}

if (require.main === module) {
  const check = process.argv.includes('--check');
  const result = check ? outOfSync() : writeGeneratedFiles();
  if (check && result.length) {
    process.stderr.write(`The Nx executors are out of date with the verb registry: ${result.join(', ')}. Run npm run sync:executors.\n`);
    process.exit(1);
  }
  process.stdout.write(result.length ? `${check ? 'stale' : 'wrote'}: ${result.join(', ')}\n` : 'executors in sync with the verb registry\n');
}
