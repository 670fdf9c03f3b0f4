import 'reflect-metadata';
import { compileTypeScript, parseTypeScript, walk } from './typescript-source';

describe('TypeScript through swc', () => {
  it('gives positions in the string, whatever was parsed before and whatever the characters', () => {
    const source = "#!/usr/bin/env node\n// café ☕ 𝄞\nconst a = { b: 'é', c: 1 };\n";
    for (let round = 0; round < 3; round++) {
      parseTypeScript('const unrelated = "x".repeat(3);', 'other.ts');
      const parsed = parseTypeScript(source, 'a.ts');
      const texts: string[] = [];
      walk(parsed.module, (node) => {
        if (node.type === 'StringLiteral' || node.type === 'ObjectExpression') texts.push(parsed.text(node as never));
      });
      expect(texts).toEqual(["{ b: 'é', c: 1 }", "'é'"]);
      expect(parsed.module.body).toHaveLength(1);
    }
  });

  it('names the file, line and column of a syntax error, without swc internals', () => {
    expect(() => parseTypeScript('const a = 1;\nconst = 2;\n', 'apps/x/data-source.ts')).toThrow(/Cannot parse apps\/x\/data-source\.ts:\n[\s\S]*data-source\.ts:2:/);
    try {
      compileTypeScript('export class A {\n  x: number = ;\n}\n', '/w/a.ts');
      throw new Error('compiled');
    } catch (e) {
      expect((e as Error).message).toMatch(/^Cannot compile \/w\/a\.ts:\n/);
      expect((e as Error).message).toContain('/w/a.ts:2:');
      expect((e as Error).message).not.toMatch(/backtrace|Caused by/);
    }
  });

  it('takes null out of union types only when strictNullChecks is off', () => {
    const source =
      'const D = (): PropertyDecorator => () => undefined;\nexport class A {\n  @D() a!: string | null;\n  @D() b!: null | undefined | number;\n  @D() c!: Date | undefined;\n}\n';
    const types = (code: string) => {
      const exports: Record<string, { prototype: object }> = {};
      new Function('exports', 'require', code)(exports, require);
      return ['a', 'b', 'c'].map((k) => Reflect.getMetadata('design:type', exports.A.prototype, k)?.name);
    };
    const loose = compileTypeScript(source, 'a.ts', { strictNullChecks: false });
    expect(types(compileTypeScript(source, 'a.ts'))).toEqual(['Object', 'Object', 'Object']);
    expect(types(loose)).toEqual(['String', 'Number', 'Date']);
  });

  it('records Object for a class that is not initialised yet (imports in a cycle), as tsc does, instead of throwing', () => {
    const code = compileTypeScript(
      "import { User } from './user';\nconst D = (): PropertyDecorator => () => undefined;\nexport class Post {\n  @D() author!: User;\n  @D() at!: Date;\n}\n",
      'post.ts',
    );
    const inCycle = {
      get User(): unknown {
        throw new ReferenceError("Cannot access 'User' before initialization");
      },
    };
    const exports: Record<string, { prototype: object }> = {};
    new Function('exports', 'require', code)(exports, (id: string) => (id === './user' ? inCycle : require(id)));
    expect(['author', 'at'].map((k) => Reflect.getMetadata('design:type', exports.Post.prototype, k).name)).toEqual(['Object', 'Date']);
    class User {}
    const later: Record<string, { prototype: object }> = {};
    new Function('exports', 'require', code)(later, (id: string) => (id === './user' ? { User } : require(id)));
    expect(Reflect.getMetadata('design:type', later.Post.prototype, 'author')).toBe(User);
  });
});
