/**
 * TypeScript source without the `typescript` package: compiled and parsed by swc (@swc/core, a
 * native binary with no JavaScript API of TypeScript's to depend on), so Fleet works with
 * whatever TypeScript a project has installed (5, 6, 7 or none).
 * - compileTypeScript: a user file to CommonJS with legacy decorators and their metadata, the way
 *   `tsc` compiles a TypeORM app (experimentalDecorators, emitDecoratorMetadata,
 *   useDefineForClassFields false).
 * - parseTypeScript: a syntax tree whose positions are offsets into the given string, for the
 *   generators that read a DataSource or edit a fleet.config.ts in place.
 */
import type { Module, Node, Options, Span } from '@swc/core';

type Swc = typeof import('@swc/core');
let swc: Swc | undefined;

/** @swc/core, loaded on first use (a warm loader never needs it: its outputs are cached). */
function swcCore(file: string): Swc {
  if (swc) return swc;
  try {
    swc = require('@swc/core') as Swc;
    return swc;
  } catch (err) {
    throw new Error(
      `Reading ${file} needs @swc/core (a dependency of @fleet/core) and its native binary for ${process.platform}-${process.arch}: ` +
        `reinstall with optional dependencies (npm install --include=optional), or point the Fleet config at compiled JavaScript. (${(err as Error).message})`,
      { cause: err },
    );
  }
}

export interface CompileOptions {
  /**
   * The project's strictNullChecks. Decorator metadata of `name: string | null` is `Object` when
   * it is on (as `tsc` emits it, and as swc always does) and `String` when it is off: with
   * `false`, `| null` and `| undefined` are taken out of union types before compiling (types are
   * erased, so the only effect is on metadata), and TypeORM sees the metadata the app's own build
   * gives it. Unset counts as on (TypeScript's default since 6.0, and what `tsc --init` writes).
   */
  strictNullChecks?: boolean;
}

/** A TypeScript (or ES module) file to CommonJS, with legacy decorators and `design:*` metadata. */
export function compileTypeScript(source: string, file: string, options: CompileOptions = {}): string {
  const core = swcCore(file);
  const typescript = !/\.[cm]?jsx?$/.test(file);
  const input = options.strictNullChecks === false && typescript ? withoutNullableUnions(source, file) : source;
  const swcOptions: Options = {
    filename: file,
    swcrc: false,
    configFile: false,
    sourceMaps: 'inline',
    inlineSourcesContent: true,
    jsc: {
      parser: typescript ? { syntax: 'typescript', tsx: file.endsWith('.tsx'), decorators: true } : { syntax: 'ecmascript', jsx: file.endsWith('.jsx'), decorators: true },
      target: 'es2022',
      keepClassNames: true,
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    },
    module: { type: 'commonjs' },
  };
  let code: string;
  try {
    code = core.transformSync(input, swcOptions).code;
  } catch (err) {
    throw new SyntaxError(`Cannot compile ${file}:\n${swcMessage(err)}`);
  }
  return withCircularSafeMetadata(code);
}

/**
 * swc emits `design:type` of an imported class as `typeof _user.User === "undefined" ? Object :
 * _user.User`, and exports classes through getters over `let` bindings. With entities that import
 * each other (User has posts, Post has an author: every TypeORM app), the second module reads the
 * first's export before its class exists, and the getter throws "Cannot access 'User' before
 * initialization" where `tsc`'s output (plain `exports.User = ...`) reads undefined and records
 * `Object`. Such references go through a helper that gives `Object` in that case too.
 */
function withCircularSafeMetadata(code: string): string {
  if (!code.includes('_ts_metadata(')) return code;
  let changed = false;
  const out = code.replace(/typeof ([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*) === "undefined" \? Object : \1(?![\w$.])/g, (_, ref: string) => {
    changed = true;
    return `${METADATA_HELPER}(() => ${ref})`;
  });
  if (!changed) return out;
  const helper = `function ${METADATA_HELPER}(get) { try { const type = get(); return typeof type === "undefined" ? Object : type; } catch { return Object; } }\n`;
  const map = out.lastIndexOf('\n//# sourceMappingURL=');
  return map < 0 ? `${out}\n${helper}` : `${out.slice(0, map)}\n${helper}${out.slice(map + 1)}`;
}

const METADATA_HELPER = '_fleet_design_type';

/** A parsed module, and where its nodes are in the source string. */
export interface ParsedSource {
  module: Module;
  source: string;
  /** [start, end) of a node in `source` (string indices). */
  range(node: { span: Span }): [number, number];
  /** The source text of a node. */
  text(node: { span: Span }): string;
}

/**
 * Parses TypeScript. swc's positions are byte offsets into a source map that, depending on the
 * swc version, is shared by every parse of the process; a `;` put before the source gives a
 * known origin (the empty statement's start), and positions are turned into string indices.
 */
export function parseTypeScript(source: string, file: string): ParsedSource {
  const core = swcCore(file);
  // A shebang is only valid first: keep its bytes, as a comment.
  const text = source.startsWith('#!') ? `//${source.slice(2)}` : source;
  const options = { syntax: 'typescript' as const, tsx: file.endsWith('.tsx'), decorators: true, target: 'es2022' as const };
  let module: Module;
  try {
    module = core.parseSync(`;${text}`, options);
  } catch {
    try {
      core.parseSync(text, options); // the same error, at the positions of the file itself
    } catch (err) {
      // swc's parser does not know the file's name: `,-[2:7]` -> `,-[apps/api/data-source.ts:2:7]`.
      throw new SyntaxError(`Cannot parse ${file}:\n${swcMessage(err).replace(/,-\[(\d+:\d+)\]/, (_, at: string) => `,-[${file}:${at}]`)}`);
    }
    throw new SyntaxError(`Cannot parse ${file}.`);
  }
  const origin = module.body[0].span.start + 1;
  module.body.shift(); // the `;`
  const index = byteToIndex(source);
  const range = (node: { span: Span }): [number, number] => [index(node.span.start - origin), index(node.span.end - origin)];
  return { module, source, range, text: (node) => source.slice(...range(node)) };
}

/** Maps UTF-8 byte offsets (swc's) to UTF-16 string indices (JavaScript's). */
function byteToIndex(source: string): (byte: number) => number {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(source)) return (byte) => byte;
  const indexAt = new Uint32Array(Buffer.byteLength(source) + 1);
  let byte = 0;
  for (let i = 0; i < source.length; i++) {
    const code = source.codePointAt(i) as number;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    for (let b = 0; b < size; b++) indexAt[byte + b] = i;
    byte += size;
    if (code >= 0x10000) i++; // a surrogate pair: two string indices, four bytes
  }
  indexAt[byte] = source.length;
  return (b) => indexAt[Math.max(0, Math.min(b, byte))];
}

/** Calls `visit` on every node of a tree (anything with a `type`), parents first; return false to skip a node's children. */
export function walk(node: unknown, visit: (node: Node & Record<string, unknown>) => boolean | void): void {
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const n = node as Node & Record<string, unknown>;
  if (typeof n.type === 'string' && visit(n) === false) return;
  for (const [key, value] of Object.entries(n)) if (key !== 'span' && value && typeof value === 'object') walk(value, visit);
}

/**
 * `string | null` -> `string       `: null and undefined taken out of every union type that has
 * another member, replaced by spaces so lines and columns (and the source map) stay as they were.
 */
function withoutNullableUnions(source: string, file: string): string {
  if (!/\b(null|undefined)\b/.test(source) || !source.includes('|') || !source.includes('@')) return source;
  const parsed = parseTypeScript(source, file);
  const blanks: [number, number][] = [];
  const nullish = (t: Node & Record<string, unknown>) => t.type === 'TsKeywordType' && (t.kind === 'null' || t.kind === 'undefined');
  walk(parsed.module, (node) => {
    if (node.type !== 'TsUnionType') return;
    const types = node.types as (Node & Record<string, unknown> & { span: Span })[];
    const first = types.findIndex((t) => !nullish(t));
    if (first < 0 || types.every((t, i) => i === first || !nullish(t))) return;
    if (first > 0) blanks.push([parsed.range(types[0])[0], parsed.range(types[first])[0]]);
    for (let i = first + 1; i < types.length; i++) if (nullish(types[i])) blanks.push([parsed.range(types[i - 1])[1], parsed.range(types[i])[1]]);
  });
  let out = source;
  for (const [start, end] of blanks) out = out.slice(0, start) + out.slice(start, end).replace(/[^\n]/g, ' ') + out.slice(end);
  return out;
}

/** swc's message without its native stack trace and colours. */
function swcMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text
    .replace(/^Error:\s*/, '')
    .replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '')
    .split(/\n\s*\nCaused by:|\nStack backtrace:/)[0]
    .trimEnd();
}
