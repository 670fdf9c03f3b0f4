/**
 * Where in a migration's source a statement was sent from: the line of the `queryRunner.query(...)`
 * (or Table API) call, read from the stack when the SQL is issued (V8 keeps the awaiting `up()`
 * as an async frame, so a Table API call that sends its SQL after an await is found too). A
 * TypeScript file runs compiled: its position is mapped back through the inline source map of the
 * same compilation Fleet's loader does. Used for SARIF locations and for the suppression comments
 * written above a call; where nothing is found the finding has no line.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import { compileTypeScript } from '../config/typescript-source';

export interface Position {
  line: number;
  column: number;
  /** The stack already gave source positions (Jest maps the code it transformed): nothing to map. */
  mapped: boolean;
}

/** The position of the innermost frame of the current stack that runs code of `file` (absolute path). */
export function framePosition(file: string): Position | null {
  const holder: { stack?: unknown } = {};
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  // Under Jest, user modules are loaded by Jest's require (config/user-modules.ts), and Jest's own
  // stack formatting maps the positions of what it transformed: read its text.
  const jest = process.env.JEST_WORKER_ID !== undefined;
  let stack: unknown;
  try {
    if (!jest) Error.prepareStackTrace = (_error, frames) => frames;
    Error.stackTraceLimit = 100;
    Error.captureStackTrace(holder, framePosition);
    stack = holder.stack; // formatted on first read: while our prepareStackTrace is in place
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
  if (typeof stack === 'string') return jest ? fromText(stack, file) : null;
  for (const frame of (Array.isArray(stack) ? stack : []) as NodeJS.CallSite[]) {
    let name = frame.getFileName() ?? '';
    if (name.startsWith('file://')) name = fileURLToPath(name);
    if (name === file) return { line: frame.getLineNumber() ?? 0, column: frame.getColumnNumber() ?? 0, mapped: false };
  }
  return null;
}

/** A stack as text, whose positions are already the source's (Jest's). */
function fromText(stack: string, file: string): Position | null {
  for (const line of stack.split('\n')) {
    const at = line.lastIndexOf(`${file}:`);
    if (at < 0) continue;
    const [l, c] = line
      .slice(at + file.length + 1)
      .split(':')
      .map((n) => parseInt(n, 10));
    if (Number.isInteger(l)) return { line: l, column: Number.isInteger(c) ? c : 0, mapped: true };
  }
  return null;
}

const maps = new Map<string, SourceMap | null>();

/** Maps a position in the compiled `file` back to its source line (1-based); JavaScript files map to themselves. */
export function sourceLine(file: string, at: Position): number {
  if (at.mapped || /\.[cm]?js$/.test(file)) return at.line;
  if (!maps.has(file)) maps.set(file, loadMap(file));
  const map = maps.get(file);
  if (!map) return at.line;
  const entry = map.findEntry(at.line - 1, at.column - 1) as { originalLine?: number };
  return typeof entry?.originalLine === 'number' ? entry.originalLine + 1 : at.line;
}

function loadMap(file: string): SourceMap | null {
  try {
    const code = compileTypeScript(readFileSync(file, 'utf8'), file);
    const marker = '//# sourceMappingURL=data:application/json;base64,';
    const at = code.lastIndexOf(marker);
    if (at < 0) return null;
    return new SourceMap(JSON.parse(Buffer.from(code.slice(at + marker.length).trim(), 'base64').toString('utf8')));
  } catch {
    return null;
  }
}

const sources = new Map<string, string[]>();

/** The lines of a source file (cached for the process; a lint run reads each file once). */
export function sourceLines(file: string): string[] {
  let lines = sources.get(file);
  if (!lines) {
    try {
      lines = readFileSync(file, 'utf8').split(/\r?\n/);
    } catch {
      lines = [];
    }
    sources.set(file, lines);
  }
  return lines;
}
