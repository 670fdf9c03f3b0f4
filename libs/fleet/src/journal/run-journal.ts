import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunReport } from '../executor/result';
import type { StatusReport } from '../commands/status';

/** One run on disk: what every target looked like before, and what happened to each. */
export interface RunJournal {
  id: string;
  app: string;
  command: string;
  state: 'running' | 'finished';
  startedAt: string;
  finishedAt: string | null;
  before: Array<{ target: string; state: string; version: string | null; pending: number }>;
  ok: boolean | null;
  summary: RunReport['summary'] | null;
  results: RunReport['results'] | null;
}

/**
 * Writes `<dir>/<time>-<app>-<command>.json` before the run (the snapshot) and again after it (the
 * results), plus `latest-<app>.json`. A run that dies leaves a `running` journal with the
 * snapshot, which says what the fleet looked like when it started.
 */
export class JournalWriter {
  readonly path: string;
  private readonly journal: RunJournal;

  constructor(
    private readonly dir: string,
    app: string,
    command: string,
    before: StatusReport,
    now = new Date(),
  ) {
    const id = `${now.toISOString().replace(/[:.]/g, '-')}-${app}-${command}-${process.pid}`;
    this.path = join(dir, `${id}.json`);
    this.journal = {
      id,
      app,
      command,
      state: 'running',
      startedAt: now.toISOString(),
      finishedAt: null,
      before: before.targets.map((t) => ({ target: t.target, state: t.state, version: t.version, pending: t.pending.length })),
      ok: null,
      summary: null,
      results: null,
    };
    mkdirSync(dir, { recursive: true });
    this.write();
  }

  finish(report: RunReport): void {
    Object.assign(this.journal, { state: 'finished', finishedAt: new Date().toISOString(), ok: report.ok, summary: report.summary, results: report.results });
    this.write();
    writeAtomically(join(this.dir, `latest-${this.journal.app}.json`), JSON.stringify(this.journal, null, 2));
  }

  private write(): void {
    writeAtomically(this.path, JSON.stringify(this.journal, null, 2));
  }
}

function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
