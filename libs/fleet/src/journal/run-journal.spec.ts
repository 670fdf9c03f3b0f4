/** The run journal keeps its snapshot on disk, not in memory, for the whole run. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunReport } from '../executor/result';
import { JournalWriter } from './run-journal';

const snapshot = [
  { target: 'app/main/a', state: 'at-head' as const, version: 'M2', pending: 0 },
  { target: 'app/main/b', state: 'pending' as const, version: 'M1', pending: 1 },
  { target: 'app/main/c', state: 'failed' as const, version: null, pending: 0 },
];

const report = (): RunReport => ({
  command: 'migrate',
  ok: true,
  startedAt: new Date(0).toISOString(),
  durationMs: 5,
  summary: { targets: 3, changed: 1, unchanged: 2, failed: 0, blocked: 0, notRun: 0 },
  results: [],
});

describe('JournalWriter', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fleet-run-journal-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the snapshot before the run and again, read back from disk, with the results', () => {
    const journal = new JournalWriter(dir, 'app', 'migrate', snapshot);
    const running = JSON.parse(readFileSync(journal.path, 'utf8'));
    expect(running).toMatchObject({ state: 'running', results: null });
    expect(running.before).toEqual(snapshot);
    expect([...journal.versionsBefore()]).toEqual([
      ['app/main/a', 'M2'],
      ['app/main/b', 'M1'],
    ]);
    expect(journal.finish(report())).toBe(true);
    const finished = JSON.parse(readFileSync(journal.path, 'utf8'));
    expect(finished).toMatchObject({ state: 'finished', ok: true, results: [] });
    expect(finished.before).toEqual(running.before);
    expect(readFileSync(join(dir, 'latest-app.json'), 'utf8')).toBe(readFileSync(journal.path, 'utf8'));
  });

  it('says so when the journal of the run was removed meanwhile, and throws nothing', () => {
    const journal = new JournalWriter(dir, 'app', 'migrate', snapshot);
    rmSync(journal.path);
    expect(journal.finish(report())).toBe(false);
    expect(journal.problem).toMatch(/could not be written \(ENOENT.*the report above is complete/);
    expect(() => journal.versionsBefore()).toThrow();
  });

  it('keeps the snapshot in memory when it could not be written', () => {
    const file = join(dir, 'not-a-directory');
    rmSync(file, { force: true });
    writeFileSync(file, '');
    const journal = new JournalWriter(file, 'app', 'migrate', snapshot);
    expect(journal.problem).toContain('could not be written');
    expect(journal.versionsBefore().get('app/main/b')).toBe('M1');
  });
});
