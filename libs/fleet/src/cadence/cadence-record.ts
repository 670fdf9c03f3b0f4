import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors';

export const CADENCE_FILE = 'fleet.cadence.json';

/** One migration of one app that belongs to a cadence step. */
export interface CadenceMigration {
  app: string;
  database: string;
  track: 'global' | 'tenant';
  migration: string;
}

/** A coordinated change of shared tables: every mapping app gets its migration, in step order. */
export interface CadenceStep {
  id: string;
  tables: string[];
  migrations: CadenceMigration[];
}

export interface CadenceRecord {
  /**
   * The migrations that existed before the cadence check, per track: its last one at that time.
   * They and every migration before them in the track are history, not cadence problems.
   * Recorded by the first cadence-check (or shared-migration) of a workspace, when this file
   * does not exist yet.
   */
  baseline?: CadenceMigration[];
  steps: CadenceStep[];
}

/** True when this file does not exist yet (the next check records the baseline). */
export function cadenceRecorded(workspaceRoot: string): boolean {
  return existsSync(join(workspaceRoot, CADENCE_FILE));
}

export function writeCadence(workspaceRoot: string, record: CadenceRecord, write = (path: string, content: string) => writeFileSync(join(workspaceRoot, path), content)): void {
  write(CADENCE_FILE, `${JSON.stringify(record, null, 2)}\n`);
}

/** Reads and validates `fleet.cadence.json` at the workspace root (missing: no steps yet). */
export function readCadence(workspaceRoot: string): CadenceRecord {
  const file = join(workspaceRoot, CADENCE_FILE);
  if (!existsSync(file)) return { steps: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ConfigError(`${CADENCE_FILE} is not valid JSON: ${(cause as Error).message}`, { file }, { cause });
  }
  const fail = (where: string, problem: string): never => {
    throw new ConfigError(`Invalid ${CADENCE_FILE}: ${where} ${problem}.`, { file });
  };
  const steps = (raw as { steps?: unknown })?.steps;
  if (!Array.isArray(steps)) fail('"steps"', 'must be an array');
  const baseline = (raw as { baseline?: unknown }).baseline;
  if (baseline !== undefined && !Array.isArray(baseline)) fail('"baseline"', 'must be a list of { app, database, track, migration }');
  ((baseline as unknown[] | undefined) ?? []).forEach((m, j) => {
    if (!isCadenceMigration(m)) fail(`baseline[${j}]`, 'must be { app, database, track: "global" | "tenant", migration }');
  });
  const ids = new Set<string>();
  (steps as unknown[]).forEach((s, i) => {
    const step = s as Partial<CadenceStep>;
    if (typeof step?.id !== 'string' || !step.id) fail(`steps[${i}].id`, 'must be a non-empty string');
    if (ids.has(step.id!)) fail(`steps[${i}].id`, `repeats "${step.id}"`);
    ids.add(step.id!);
    if (!Array.isArray(step.tables) || step.tables.some((t) => typeof t !== 'string')) fail(`steps[${i}].tables`, 'must be a list of table names');
    if (!Array.isArray(step.migrations)) fail(`steps[${i}].migrations`, 'must be a list of { app, database, track, migration }');
    step.migrations!.forEach((m, j) => {
      if (!isCadenceMigration(m)) fail(`steps[${i}].migrations[${j}]`, 'must be { app, database, track: "global" | "tenant", migration }');
    });
  });
  return raw as CadenceRecord;
}

function isCadenceMigration(m: unknown): m is CadenceMigration {
  const x = m as Partial<CadenceMigration> | null;
  return typeof x?.app === 'string' && typeof x.database === 'string' && typeof x.migration === 'string' && (x.track === 'global' || x.track === 'tenant');
}
