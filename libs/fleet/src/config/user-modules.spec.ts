import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stripJsonComments, tsconfigAliases } from './user-modules';

function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'fleet-user-modules-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

describe('user modules', () => {
  it('reads tsconfig as JSON with comments and trailing commas, strings kept', () => {
    expect(JSON.parse(stripJsonComments('{ // c\n "a": "http://x/*y*/", /* b */ "b": [1, 2,], }'))).toEqual({ a: 'http://x/*y*/', b: [1, 2] });
  });

  it('turns tsconfig paths into aliases, through extends', () => {
    const root = project({
      'tsconfig.base.json': '{ "compilerOptions": { "paths": { "@acme/models": ["./libs/models/src/index.ts"], "@acme/util/*": ["./libs/util/*"], "x*y": ["./z"] } } }',
      'tsconfig.json': '{ "extends": "./tsconfig.base.json" }',
    });
    try {
      expect(tsconfigAliases(root)).toEqual({ '@acme/models': join(root, 'libs/models/src/index.ts'), '@acme/util/': `${join(root, 'libs/util')}/` });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  // Outside Jest (whose transform would stand in for the loader): a child process loads an entity
  // written as TypeORM projects write them, through the loader.
  it('compiles TypeScript with decorator metadata as the project builds it, and resolves tsconfig paths', () => {
    const root = project({
      'package.json': '{ "name": "probe", "private": true }',
      'tsconfig.json': '{ "compilerOptions": { "strict": true, "paths": { "@probe/shared": ["./shared/index.ts"] } } }',
      'shared/index.ts': 'export const label: string = "shared";\n',
      'entity.ts': `import 'reflect-metadata';
import { label } from '@probe/shared';
const Col = (): PropertyDecorator => () => undefined;
export class User {
  @Col() id!: string;
  @Col() age!: number;
  @Col() nickname!: string | null;
}
export const names = ['id', 'age', 'nickname'].map((k) => (Reflect as any).getMetadata('design:type', User.prototype, k)?.name);
export { label };
`,
    });
    try {
      const script = `const { loadUserModule } = require(${JSON.stringify(join(__dirname, 'user-modules.ts'))});
const m = loadUserModule(${JSON.stringify(join(root, 'entity.ts'))});
process.stdout.write(JSON.stringify({ names: m.names, label: m.label }));`;
      const r = spawnSync(process.execPath, ['-r', '@swc-node/register', '-e', script], {
        cwd: join(__dirname, '..', '..', '..', '..'),
        env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_PATH: join(__dirname, '..', '..', '..', '..', 'node_modules') },
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('');
      // strict: `string | null` is Object, exactly as `tsc` with strictNullChecks emits it.
      expect(JSON.parse(r.stdout)).toEqual({ names: ['String', 'Number', 'Object'], label: 'shared' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
