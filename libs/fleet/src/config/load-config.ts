import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ConfigError, FleetError } from '../errors';
import { assertConfigIdentifier } from '../identifiers';
import type { DatabaseConfig, FleetConfig } from './fleet-config';
import { ensureTypeScriptLoader } from './typescript-loader';

export const CONFIG_FILE = 'fleet.config.ts';

/** A validated config with every default filled in and paths made absolute. */
export interface LoadedConfig {
  app: string;
  file: string;
  dir: string;
  workspaceRoot: string;
  databases: LoadedDatabase[];
}

export interface LoadedDatabase {
  key: string;
  database: string;
  urlEnv: string;
  createDatabase: boolean;
  migrationsDir: string;
  dataSource: string | null;
  schema: string;
  versionTable: string;
  adoptTypeormTable: string | null;
  transactionMode: 'each' | 'all';
  lockWaitMs: number;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  allowOutOfOrder: boolean;
}

/** Finds an app's config: an explicit path, or `apps/<app>/fleet.config.ts`, or `<app>/fleet.config.ts`. */
export function findConfigFile(workspaceRoot: string, app: string | undefined, configPath: string | undefined): string {
  if (configPath) {
    const file = isAbsolute(configPath) ? configPath : resolve(workspaceRoot, configPath);
    if (!existsSync(file)) throw new ConfigError(`Fleet config ${configPath} does not exist.`, { file });
    return file;
  }
  if (!app) throw new ConfigError('Say which app to work on: --app <name> (or --config <path to fleet.config.ts>).');
  const candidates = [join(workspaceRoot, 'apps', app, CONFIG_FILE), join(workspaceRoot, app, CONFIG_FILE)];
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new ConfigError(
      `No Fleet config for app "${app}": looked for ${candidates.map((c) => relative(workspaceRoot, c)).join(' and ')}. ` +
        'Create one with defineFleetConfig (see the README), or pass --config.',
      { app },
    );
  }
  return found;
}

export function loadConfig(file: string, workspaceRoot: string): LoadedConfig {
  ensureTypeScriptLoader();
  let mod: { default?: unknown } & Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(file);
  } catch (cause) {
    if (cause instanceof FleetError) throw cause;
    throw new ConfigError(`Fleet config ${relative(workspaceRoot, file)} failed to load: ${(cause as Error)?.message ?? cause}`, { file }, { cause });
  }
  const raw = mod.default ?? mod.config ?? mod;
  return validateConfig(raw, file, workspaceRoot);
}

const DATABASE_KEYS = new Set<keyof DatabaseConfig>([
  'database',
  'urlEnv',
  'createDatabase',
  'migrations',
  'dataSource',
  'schema',
  'versionTable',
  'adoptTypeormTable',
  'transactionMode',
  'lockWaitMs',
  'lockTimeoutMs',
  'statementTimeoutMs',
  'allowOutOfOrder',
]);

/** Validates once, up front, with errors that name the file and the field. */
export function validateConfig(raw: unknown, file: string, workspaceRoot: string): LoadedConfig {
  const where = relative(workspaceRoot, file) || file;
  const fail = (field: string, problem: string): never => {
    throw new ConfigError(`Invalid Fleet config ${where}: ${field} ${problem}.`, { file: where, field });
  };
  if (!raw || typeof raw !== 'object') fail('the default export', 'must be an object (export default defineFleetConfig({...}))');
  const config = raw as Partial<FleetConfig>;
  if (typeof config.app !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(config.app)) fail('"app"', 'must be the app name (letters, digits, "-", "_", ".")');
  if (!config.databases || typeof config.databases !== 'object' || Array.isArray(config.databases)) {
    fail('"databases"', 'must be an object with one entry per database');
  }
  const entries = Object.entries(config.databases as Record<string, DatabaseConfig>);
  if (entries.length === 0) fail('"databases"', 'declares no database');
  const dir = dirname(file);
  const app = config.app as string;
  const databases = entries.map(([key, db]): LoadedDatabase => {
    const field = (name: string) => `databases.${key}.${name}`;
    if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(key)) fail(`databases key "${key}"`, 'must start with a letter and use letters, digits, "-", "_"');
    if (!db || typeof db !== 'object') fail(`databases.${key}`, 'must be an object');
    for (const k of Object.keys(db)) if (!DATABASE_KEYS.has(k as keyof DatabaseConfig)) fail(field(k), `is not a known option (known: ${[...DATABASE_KEYS].join(', ')})`);
    const str = (name: keyof DatabaseConfig, fallback: string): string => {
      const v = db[name];
      if (v === undefined) return fallback;
      if (typeof v !== 'string' || v.length === 0) fail(field(name), 'must be a non-empty string');
      return v as string;
    };
    const num = (name: keyof DatabaseConfig, fallback: number): number => {
      const v = db[name];
      if (v === undefined) return fallback;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(field(name), 'must be a number >= 0 (milliseconds)');
      return v as number;
    };
    const bool = (name: keyof DatabaseConfig, fallback: boolean): boolean => {
      const v = db[name];
      if (v === undefined) return fallback;
      if (typeof v !== 'boolean') fail(field(name), 'must be true or false');
      return v as boolean;
    };
    if (typeof db.migrations !== 'string' || !db.migrations) fail(field('migrations'), 'must be the path of the migrations directory');
    const mode = db.transactionMode ?? 'each';
    if (mode !== 'each' && mode !== 'all') fail(field('transactionMode'), 'must be "each" or "all"');
    const identifier = (name: keyof DatabaseConfig, fallback: string) => {
      const value = str(name, fallback);
      try {
        return assertConfigIdentifier(field(name), value);
      } catch (e) {
        return fail(field(name), (e as FleetError).details.reason as string);
      }
    };
    const adopt = db.adoptTypeormTable;
    return {
      key,
      database: identifier('database', `${app}_${key}`.replace(/[^A-Za-z0-9_]/g, '_')),
      urlEnv: str('urlEnv', `${app}_${key}_DATABASE_URL`.toUpperCase().replace(/[^A-Z0-9_]/g, '_')),
      createDatabase: bool('createDatabase', false),
      migrationsDir: resolve(dir, db.migrations),
      dataSource: db.dataSource === undefined ? null : resolve(dir, str('dataSource', '')),
      schema: identifier('schema', 'public'),
      versionTable: identifier('versionTable', 'fleet_migrations'),
      adoptTypeormTable: adopt === false ? null : adopt === undefined ? 'migrations' : identifier('adoptTypeormTable', 'migrations'),
      transactionMode: mode,
      lockWaitMs: num('lockWaitMs', 30_000),
      lockTimeoutMs: num('lockTimeoutMs', 0),
      statementTimeoutMs: num('statementTimeoutMs', 0),
      allowOutOfOrder: bool('allowOutOfOrder', false),
    };
  });
  return { app, file, dir, workspaceRoot, databases };
}
