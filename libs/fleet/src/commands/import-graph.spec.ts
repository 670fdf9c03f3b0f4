/**
 * No import circle through the runtime: discovery.ts (and what it imports) never reaches
 * runtime.ts, type-only imports included; the types they share live in runtime-types.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const SRC = resolve(__dirname, '..');

/** Relative imports of one module, `import type` and `export … from` included. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.{1,2}\/[^']+)'/g)) {
    const base = resolve(dirname(file), m[1]);
    const found = [`${base}.ts`, `${base}/index.ts`].find((f) => existsSync(f));
    if (found) out.push(found);
  }
  return out;
}

function reaches(from: string, to: string): string[] | null {
  const seen = new Set<string>();
  const walk = (file: string, path: string[]): string[] | null => {
    if (file === to) return path;
    if (seen.has(file)) return null;
    seen.add(file);
    for (const next of importsOf(file)) {
      const found = walk(next, [...path, next]);
      if (found) return found;
    }
    return null;
  };
  return walk(from, [from]);
}

describe('commands/ imports', () => {
  it('discovery.ts never reaches runtime.ts (no circle: runtime.ts imports discovery.ts)', () => {
    const runtime = resolve(SRC, 'commands/runtime.ts');
    const discovery = resolve(SRC, 'commands/discovery.ts');
    expect(importsOf(runtime)).toContain(discovery);
    expect(reaches(discovery, runtime)?.map((f) => f.slice(SRC.length + 1)) ?? null).toBeNull();
  });

  it('runtime.ts stays under 300 lines', () => {
    expect(readFileSync(resolve(SRC, 'commands/runtime.ts'), 'utf8').split('\n').length).toBeLessThan(300);
  });
});
