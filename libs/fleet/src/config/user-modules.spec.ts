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

  // Outside Jest (whose transform would stand in for the loader): a child process loads the user
  // file through the loader, and prints what `report` (an expression over the module `m`) gives.
  // `typescript` cannot be required in it (only @swc-node/register, which runs this repo's own
  // sources, may read tsconfig with it): the loader must not need it.
  function load(root: string, file: string, report: string): { stdout: string; stderr: string; status: number | null } {
    const repo = join(__dirname, '..', '..', '..', '..');
    const guard = `const Module = require('module'); const load = Module._load;
Module._load = function (request, parent, ...rest) {
  if (request === 'typescript' && !(parent && parent.filename.includes('@swc-node'))) throw new Error('typescript was required by ' + (parent && parent.filename));
  return load.call(this, request, parent, ...rest);
};`;
    const script = `${guard}
const { loadUserModule } = require(${JSON.stringify(join(__dirname, 'user-modules.ts'))});
let m;
try { m = loadUserModule(${JSON.stringify(join(root, file))}); } catch (e) { process.stderr.write(String(e && e.message)); process.exit(3); }
process.stdout.write(JSON.stringify(${report}));`;
    const r = spawnSync(process.execPath, ['-r', '@swc-node/register', '-e', script], {
      cwd: repo,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_PATH: join(repo, 'node_modules') },
      encoding: 'utf8',
    });
    return { stdout: r.stdout, stderr: r.stderr, status: r.status };
  }

  const probeEntity = `import 'reflect-metadata';
import { label } from '@probe/shared';
const Col = (): PropertyDecorator => () => undefined;
export class User {
  @Col() id!: string;
  @Col() age!: number;
  @Col() nickname!: string | null;
  @Col() note?: null | string | undefined;
}
export const names = ['id', 'age', 'nickname', 'note'].map((k) => (Reflect as any).getMetadata('design:type', User.prototype, k)?.name);
export { label };
`;

  it('compiles TypeScript with decorator metadata as the project builds it (strict), and resolves tsconfig paths', () => {
    const root = project({
      'package.json': '{ "name": "probe", "private": true }',
      'tsconfig.json': '{ "compilerOptions": { "strict": true, "paths": { "@probe/shared": ["./shared/index.ts"] } } }',
      'shared/index.ts': 'export const label: string = "shared";\n',
      'entity.ts': probeEntity,
    });
    try {
      const r = load(root, 'entity.ts', '{ names: m.names, label: m.label }');
      expect(r.stderr).toBe('');
      // strict: `string | null` is Object, exactly as `tsc` with strictNullChecks emits it.
      expect(JSON.parse(r.stdout)).toEqual({ names: ['String', 'Number', 'Object', 'Object'], label: 'shared' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);

  it('without strictNullChecks, `string | null` is String, as tsc emits it', () => {
    const root = project({
      'package.json': '{ "name": "probe", "private": true }',
      'tsconfig.base.json': '{ "compilerOptions": { "strict": false, "paths": { "@probe/shared": ["./shared/index.ts"] } } }',
      'tsconfig.json': '{ "extends": "./tsconfig.base.json" }',
      'shared/index.ts': 'export const label: string = "shared";\n',
      'entity.ts': probeEntity,
    });
    try {
      const r = load(root, 'entity.ts', '{ names: m.names, label: m.label }');
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual({ names: ['String', 'Number', 'String', 'String'], label: 'shared' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);

  // TypeScript 7's package root exports only its version: anything using its API breaks.
  const typeScript7 = {
    'node_modules/typescript/package.json': '{ "name": "typescript", "version": "7.0.2", "exports": { ".": "./lib/version.cjs", "./package.json": "./package.json" } }',
    'node_modules/typescript/lib/version.cjs': 'module.exports = { version: "7.0.2" };\n',
  };

  it('loads TypeORM entities (definite assignment, decorators, a relation both ways) with TypeScript 7 installed, through a path alias', () => {
    const root = project({
      ...typeScript7,
      'package.json': '{ "name": "probe", "private": true, "devDependencies": { "typescript": "7.0.2" } }',
      'tsconfig.json': '{ "compilerOptions": { "strict": true, "paths": { "@probe/models": ["./libs/models/src/index.ts"], "@probe/util/*": ["./libs/util/*"] } } }',
      'libs/util/names.ts': 'export const TABLE = "users";\n',
      'libs/models/src/index.ts': "export * from './user.entity';\n",
      'libs/models/src/user.entity.ts': `import { Column, CreateDateColumn, Entity, OneToMany, PrimaryGeneratedColumn } from 'typeorm';
import { TABLE } from '@probe/util/names';
import { Post } from './post.entity';

@Entity({ name: TABLE })
export class User {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column()
  email!: string;

  @Column({ type: 'varchar', nullable: true })
  nickname!: string | null;

  @Column()
  visits!: number;

  @CreateDateColumn()
  createdAt!: Date;

  @OneToMany(() => Post, (post) => post.author)
  posts!: Post[];
}
`,
      // Imports user.entity while user.entity is still loading (its class not yet defined): tsc's
      // output records design:type Object there; swc's must not throw "Cannot access 'User' before initialization".
      'libs/models/src/post.entity.ts': `import { Entity, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { User } from './user.entity';

@Entity()
export class Post {
  @PrimaryGeneratedColumn()
  id!: number;

  @ManyToOne(() => User, (user) => user.posts)
  author!: User;
}
`,
      'data-source.ts': `import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { User } from '@probe/models';
export default new DataSource({ type: 'postgres', entities: [User] });
`,
    });
    try {
      const r = load(
        root,
        'data-source.ts',
        `(() => { const { getMetadataArgsStorage } = require('typeorm'); const User = m.default.options.entities[0];
          const types = Object.fromEntries(['id', 'email', 'nickname', 'visits', 'createdAt'].map((k) => [k, Reflect.getMetadata('design:type', User.prototype, k).name]));
          return { name: User.name, table: getMetadataArgsStorage().tables.find((t) => t.target === User).name,
            columns: getMetadataArgsStorage().columns.filter((c) => c.target === User).map((c) => c.propertyName), types,
            relations: getMetadataArgsStorage().relations.map((r) => [r.target.name, r.propertyName, r.type().name, Reflect.getMetadata('design:type', r.target.prototype, r.propertyName).name]) }; })()`,
      );
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual({
        name: 'User',
        table: 'users',
        columns: ['id', 'email', 'nickname', 'visits', 'createdAt'],
        types: { id: 'String', email: 'String', nickname: 'Object', visits: 'Number', createdAt: 'Date' },
        relations: [
          ['Post', 'author', 'User', 'Object'],
          ['User', 'posts', 'Post', 'Array'],
        ],
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);

  it('names the file, line and column of a syntax error', () => {
    const root = project({
      'package.json': '{ "name": "probe", "private": true }',
      'tsconfig.json': '{ "compilerOptions": { "strict": true } }',
      'broken.ts': "import 'reflect-metadata';\n\nexport class Broken {\n  name: string = ;\n}\n",
    });
    try {
      const r = load(root, 'broken.ts', 'null');
      expect(r.status).toBe(3);
      expect(r.stderr).toContain(`Cannot compile ${join(root, 'broken.ts')}`);
      expect(r.stderr).toContain(`${join(root, 'broken.ts')}:4:`);
      expect(r.stderr).toContain('name: string = ;');
      expect(r.stderr).not.toContain('backtrace');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
