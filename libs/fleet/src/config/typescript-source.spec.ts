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

  it('takes null out of union types only when strictNullChecks is off, keeping lines', () => {
    const source =
      'const D = (): PropertyDecorator => () => undefined;\nclass A {\n  @D() a!: string | null;\n  @D() b!: null | undefined | number;\n  @D() c!: Date | undefined;\n}\n';
    const strict = compileTypeScript(source, 'a.ts');
    const loose = compileTypeScript(source, 'a.ts', { strictNullChecks: false });
    const types = (code: string) => [...code.matchAll(/"design:type", (?:typeof \w+ === "undefined" \? Object : )?(\w+)\)/g)].map((m) => m[1]);
    expect(types(strict)).toEqual(['Object', 'Object', 'Object']);
    expect(types(loose)).toEqual(['String', 'Number', 'Date']);
  });
});
