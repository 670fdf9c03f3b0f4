/** The streamed journal writer gives the same bytes as JSON.stringify(value, null, 2). */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CopiedJson, writeJsonFile } from './json-file';

describe('writeJsonFile', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'fleet-json-file-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const same = (value: object) => {
    const file = join(dir, 'out.json');
    writeJsonFile(file, value);
    expect(readFileSync(file, 'utf8')).toBe(JSON.stringify(value, null, 2));
  };

  it('writes a journal-shaped document, a long array a slice at a time', () => {
    const results = Array.from({ length: 450 }, (_, i) => ({
      target: `app/main/${i}`,
      applied: i % 3 ? [] : ['A1', 'B2'],
      skipped: [{ migration: 'C3', reason: 'line one\nline two "quoted"' }],
      failed: i === 7 ? { migration: null, error: { code: 'X', nested: [1, [2, []], {}] } } : null,
      attempts: undefined,
      durationMs: i,
    }));
    same({ id: 'r1', state: 'finished', startedAt: new Date(0), before: [{ target: 'a', version: null }], ok: true, summary: { targets: 450 }, results, waves: undefined });
  });

  it('keeps what JSON.stringify keeps: empty arrays and objects, null, undefined elements; drops undefined keys and functions', () => {
    same({ a: [], b: {}, c: null, d: [undefined, () => 1, 3], e: undefined, f: () => 2, g: 'x' });
    same({});
    same({ only: [[], [[]]] });
  });

  it('copies a value from the file it was written to, byte for byte, and reads it back from its span alone', () => {
    const first = join(dir, 'first.json');
    const before = Array.from({ length: 700 }, (_, i) => ({
      target: `app/main/tenant_${i}`,
      state: i % 2 ? 'at-head' : 'pending',
      version: i % 5 ? `M${i}` : null,
      note: 'é "q"\n',
    }));
    const spans = writeJsonFile(first, { id: 'r1', state: 'running', before, results: null });
    const copied = new CopiedJson(first, spans.before);
    expect(copied.read()).toEqual(before);
    const second = join(dir, 'second.json');
    const document = { id: 'r1', state: 'finished', finishedAt: 'now', before: copied, results: [{ target: 'x' }] };
    const again = writeJsonFile(second, document);
    expect(readFileSync(second, 'utf8')).toBe(JSON.stringify({ ...document, before }, null, 2));
    expect(new CopiedJson(second, again.before).read()).toEqual(before);
  });

  it('refuses to copy from a file that changed since it was written', () => {
    const file = join(dir, 'changed.json');
    const spans = writeJsonFile(file, { before: [1, 2, 3] });
    appendFileSync(file, ' ');
    expect(() => new CopiedJson(file, spans.before).read()).toThrow(/changed since it was written/);
    expect(() => writeJsonFile(join(dir, 'other.json'), { before: new CopiedJson(file, spans.before) })).toThrow(/changed since it was written/);
  });
});
