import { existsSync, readFileSync } from 'node:fs';
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
  steps: CadenceStep[];
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
  const ids = new Set<string>();
  (steps as unknown[]).forEach((s, i) => {
    const step = s as Partial<CadenceStep>;
    if (typeof step?.id !== 'string' || !step.id) fail(`steps[${i}].id`, 'must be a non-empty string');
    if (ids.has(step.id!)) fail(`steps[${i}].id`, `repeats "${step.id}"`);
    ids.add(step.id!);
    if (!Array.isArray(step.tables) || step.tables.some((t) => typeof t !== 'string')) fail(`steps[${i}].tables`, 'must be a list of table names');
    if (!Array.isArray(step.migrations)) fail(`steps[${i}].migrations`, 'must be a list of { app, database, track, migration }');
    step.migrations!.forEach((m, j) => {
      if (typeof m?.app !== 'string' || typeof m?.database !== 'string' || typeof m?.migration !== 'string' || (m.track !== 'global' && m.track !== 'tenant')) {
        fail(`steps[${i}].migrations[${j}]`, 'must be { app, database, track: "global" | "tenant", migration }');
      }
    });
  });
  return raw as CadenceRecord;
}
