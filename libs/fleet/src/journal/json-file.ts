/**
 * A JSON document written to a file piece by piece, byte for byte what `JSON.stringify(value,
 * null, 2)` gives, without ever holding that text whole: a run journal of 10,000 results was a
 * 5 MB string plus its 5 MB UTF-8 copy at the end of a no-op migrate (about 10 MB of its peak
 * RSS, measured). Large arrays of the top-level object are written a slice of elements at a time,
 * and a value already written to another file can be copied from it byte for byte (`CopiedJson`).
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

/** Elements serialised per write. */
const SLICE = 200;
/** Bytes copied per read when a value comes from another file. */
const COPY_CHUNK = 1 << 16;

/** Where a top-level value's text lies in the file writeJsonFile wrote: bytes [start, end), and the file's size then. */
export interface JsonSpan {
  start: number;
  end: number;
  fileSize: number;
}

/**
 * A top-level value whose text is copied from a file writeJsonFile wrote before (at the same
 * nesting, so the bytes are the same), instead of being held as objects and serialised again:
 * the run journal's snapshot of 100,000 targets, parsed back, was ~40 MB of heap at the end of a
 * run for a copy of bytes that were already on disk.
 */
export class CopiedJson {
  constructor(
    readonly file: string,
    readonly span: JsonSpan,
  ) {}

  /** The value itself (parsed from its span only). */
  read(): unknown {
    return JSON.parse(this.withFile((fd) => readSpan(fd, this.span.start, this.span.end - this.span.start)).toString('utf8'));
  }

  /** Copies the bytes into `out`; throws if the file is not the one the span was taken from. */
  copyTo(out: number): number {
    return this.withFile((fd) => {
      for (let at = this.span.start; at < this.span.end; at += COPY_CHUNK) writeSync(out, readSpan(fd, at, Math.min(COPY_CHUNK, this.span.end - at)));
      return this.span.end - this.span.start;
    });
  }

  private withFile<T>(fn: (fd: number) => T): T {
    const fd = openSync(this.file, 'r');
    try {
      // A file changed since (edited, replaced) would give other bytes than the value's: refuse.
      if (fstatSync(fd).size !== this.span.fileSize) throw new Error(`${this.file} changed since it was written (its size is not ${this.span.fileSize} bytes)`);
      return fn(fd);
    } finally {
      closeSync(fd);
    }
  }
}

function readSpan(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  let read = 0;
  while (read < length) {
    const n = readSync(fd, buffer, read, length - read, position + read);
    if (n === 0) throw new Error('unexpected end of file');
    read += n;
  }
  return buffer;
}

/** Re-indents a pretty-printed JSON text nested `pad` deeper (a JSON string holds no raw newline). */
function nested(text: string, pad: string): string {
  return text.replace(/\n/g, `\n${pad}`);
}

/**
 * Writes `value` (a plain object) to `path` as JSON.stringify(value, null, 2) would (a `CopiedJson`
 * value as the value it holds); returns where each top-level value's text lies in the file.
 */
export function writeJsonFile(path: string, document: object): Record<string, JsonSpan> {
  const value = document as Record<string, unknown>;
  const fd = openSync(path, 'w');
  let position = 0;
  const write = (text: string) => (position += writeSync(fd, text));
  const spans: Record<string, Omit<JsonSpan, 'fileSize'>> = {};
  try {
    // The keys JSON.stringify keeps: not undefined, a function or a symbol.
    const keys = Object.keys(value).filter((k) => value[k] !== undefined && typeof value[k] !== 'function' && typeof value[k] !== 'symbol');
    write('{');
    keys.forEach((k, i) => {
      const v = value[k];
      write(`${i ? ',' : ''}\n  ${JSON.stringify(k)}: `);
      const start = position;
      if (v instanceof CopiedJson) position += v.copyTo(fd);
      else if (!Array.isArray(v) || v.length === 0) write(nested(JSON.stringify(v, null, 2), '  '));
      else {
        write('[');
        for (let at = 0; at < v.length; at += SLICE) {
          const part = v.slice(at, at + SLICE).map((x) => `\n    ${nested(JSON.stringify(x, null, 2) ?? 'null', '    ')}`);
          write(`${at ? ',' : ''}${part.join(',')}`);
        }
        write('\n  ]');
      }
      spans[k] = { start, end: position };
    });
    write(keys.length ? '\n}' : '}');
  } finally {
    closeSync(fd);
  }
  return Object.fromEntries(Object.entries(spans).map(([k, s]) => [k, { ...s, fileSize: position }]));
}
