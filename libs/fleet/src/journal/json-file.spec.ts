/** The streamed journal writer gives the same bytes as JSON.stringify(value, null, 2). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeJsonFile } from './json-file';

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
});
