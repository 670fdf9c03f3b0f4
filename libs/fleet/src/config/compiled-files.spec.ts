import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompiledFiles } from './compiled-files';
import { compileTypeScript } from './typescript-source';

const migration = (n: number) => `import type { MigrationInterface, QueryRunner } from 'typeorm';
export class M${n} implements MigrationInterface {
  private readonly table: string = 'notes';
  async up(q: QueryRunner): Promise<void> { await q.query(\`COMMENT ON TABLE \${this.table} IS '${n}'\`); }
  async down(): Promise<void> {}
}
`;

describe('compiled files (the user loader cache)', () => {
  let root: string;
  let cache: string;
  let migrations: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'fleet-compiled-'));
    cache = join(root, 'cache');
    migrations = join(root, 'migrations');
    mkdirSync(migrations);
    for (const n of [1, 2, 3]) writeFileSync(join(migrations, `000${n}-M.ts`), migration(n));
    writeFileSync(join(migrations, 'types.d.ts'), 'export declare const x: number;\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('a miss is compiled by a child process, as swc here would; its uncached siblings are compiled with it', () => {
    const file = join(migrations, '0001-M.ts');
    const files = new CompiledFiles({ dir: cache, strictNullChecks: true, compiler: 'child' });
    expect(files.code(file, migration(1))).toBe(compileTypeScript(migration(1), file, { strictNullChecks: true }));
    // The two other migrations are cached by the same child; the declaration file is not compiled.
    const warm = new CompiledFiles({ dir: cache, strictNullChecks: true, compiler: 'child' });
    for (const n of [2, 3])
      expect(warm.cached(join(migrations, `000${n}-M.ts`), migration(n))).toBe(compileTypeScript(migration(n), join(migrations, `000${n}-M.ts`), { strictNullChecks: true }));
    expect(readdirSync(cache)).toHaveLength(3);
    expect(files.compiledHere).toBe(0);
  }, 60_000);

  it('a cached output is used only for the same source, path and options', () => {
    const file = join(migrations, '0001-M.ts');
    const files = new CompiledFiles({ dir: cache, strictNullChecks: true, compiler: 'in-process' });
    files.code(file, migration(1));
    expect(files.cached(file, migration(1))).toBeDefined();
    expect(files.cached(file, migration(9))).toBeUndefined();
    expect(new CompiledFiles({ dir: cache, strictNullChecks: false }).cached(file, migration(1))).toBeUndefined();
    // A changed file replaces its entry: one file per source path.
    files.code(file, migration(9));
    expect(files.cached(file, migration(9))).toContain("'9'");
    expect(readdirSync(cache)).toHaveLength(1);
  });

  it("a syntax error in the missed file is the compiler's own message; one in a sibling stops nothing", () => {
    writeFileSync(join(migrations, '0002-M.ts'), 'export const broken: string = ;\n');
    const files = new CompiledFiles({ dir: cache, compiler: 'child' });
    expect(files.code(join(migrations, '0001-M.ts'), migration(1))).toContain('COMMENT ON TABLE');
    expect(files.compiledHere).toBe(0);
    expect(() => files.code(join(migrations, '0002-M.ts'), 'export const broken: string = ;\n')).toThrow(
      new RegExp(`Cannot compile ${join(migrations, '0002-M.ts').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
  }, 60_000);

  it('with a cache that cannot be written, files still compile (in the child, answered on its stdout)', () => {
    writeFileSync(cache, 'not a directory');
    const files = new CompiledFiles({ dir: cache, compiler: 'child' });
    expect(files.code(join(migrations, '0003-M.ts'), migration(3))).toContain("'3'");
    expect(files.cached(join(migrations, '0003-M.ts'), migration(3))).toBeUndefined();
    expect(files.compiledHere).toBe(0);
  }, 60_000);
});
