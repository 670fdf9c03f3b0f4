import { copyFileSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunReport } from '../executor/result';
import { CopiedJson, writeJsonFile } from './json-file';

/** One run on disk: what every target looked like before, and what happened to each. */
export interface RunJournal {
  id: string;
  app: string;
  command: string;
  /** `interrupted`: stopped by a signal (Ctrl-C, SIGTERM); the results say how far each target got. */
  state: 'running' | 'finished' | 'interrupted';
  startedAt: string;
  finishedAt: string | null;
  before: Array<{ target: string; state: string; version: string | null; pending: number }>;
  ok: boolean | null;
  summary: RunReport['summary'] | null;
  results: RunReport['results'] | null;
  /** Staged rollout: each wave's outcome. */
  waves?: RunReport['waves'];
  /** Queue mode: the run's id in the queue. */
  queue?: RunReport['queue'];
  /** Health-aware pacing: the run's pauses and the checks it could not make. */
  health?: RunReport['health'];
}

/**
 * Writes `<dir>/<time>-<app>-<command>.json` before the run (the snapshot) and again after it (the
 * results), plus `latest-<app>.json`. A run that dies leaves a `running` journal with the
 * snapshot, which says what the fleet looked like when it started. The journal is a record, not
 * the run: a write that fails (a full disk) is reported by `problem`, never thrown, and leaves no
 * temporary file behind.
 */
export class JournalWriter {
  readonly path: string;
  /** The journal; its snapshot, once written, stands on disk (see writeJournal). */
  private readonly journal: Omit<RunJournal, 'before'> & { before: RunJournal['before'] | CopiedJson };
  /** The last write's failure, if any (the caller prints it as a warning). */
  problem: string | null = null;

  constructor(
    private readonly dir: string,
    app: string,
    command: string,
    /** The fleet before the run (commands/status.ts fleetSnapshot). */
    before: RunJournal['before'],
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
      before,
      ok: null,
      summary: null,
      results: null,
    };
    this.write(() => {
      mkdirSync(dir, { recursive: true });
      this.writeJournal();
    });
  }

  /** The snapshot's version of each target whose state was read (not `failed`) before the run. */
  versionsBefore(): Map<string, string | null> {
    const versions = new Map<string, string | null>();
    for (const t of this.before()) if (t.state !== 'failed') versions.set(t.target, t.version);
    return versions;
  }

  /** Records the results; returns false (and sets `problem`) when the journal could not be written. */
  finish(report: RunReport, state: 'finished' | 'interrupted' = 'finished'): boolean {
    Object.assign(this.journal, {
      state,
      finishedAt: new Date().toISOString(),
      ok: report.ok,
      summary: report.summary,
      ...(report.waves ? { waves: report.waves } : {}),
      ...(report.queue ? { queue: report.queue } : {}),
      ...(report.health ? { health: report.health } : {}),
      results: report.results,
    });
    const written = this.write(() => {
      this.writeJournal();
      writeAtomically(join(this.dir, `latest-${this.journal.app}.json`), (tmp) => copyFileSync(this.path, tmp));
    });
    if (written) this.journal.results = null;
    return written;
  }

  /**
   * Writes the journal; its snapshot is then on disk and read back from there when needed (its
   * next write copies its bytes) rather than held for the whole run (100,000 targets: ~13 MB of
   * entries and their names). Until a write succeeded, the snapshot is kept in memory.
   */
  private writeJournal(): void {
    const spans = writeAtomically(this.path, (tmp) => writeJsonFile(tmp, this.journal));
    this.journal.before = new CopiedJson(this.path, spans.before);
  }

  /** The snapshot: read back from the journal on disk, unless no write succeeded (then it was kept). */
  private before(): RunJournal['before'] {
    const { before } = this.journal;
    return before instanceof CopiedJson ? (before.read() as RunJournal['before']) : before;
  }

  private write(fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (err) {
      this.problem = `the run journal ${this.path} could not be written (${(err as Error).message}); the report above is complete`;
      return false;
    }
  }
}

function writeAtomically<T>(path: string, write: (tmp: string) => T): T {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const result = write(tmp);
    renameSync(tmp, path);
    return result;
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
