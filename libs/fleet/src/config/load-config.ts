import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ConfigError, FleetError } from '../errors';
import { assertConfigIdentifier } from '../identifiers';
import { TENANCY_STRATEGIES } from './fleet-config';
import type { DatabaseConfig, FleetConfig, TenancyStrategyName, TenantDiscovery, TenantsConfig } from './fleet-config';
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
  lockRetries: number;
  idleInTransactionTimeoutMs: number;
  statementTimeoutMs: number;
  allowOutOfOrder: boolean;
  /** Extensions named in the config (the entities' and migrations' are added at run time). */
  extensions: string[];
  /** The tenant track, or null. */
  tenants: LoadedTenants | null;
  /** Shard database names, or null when not sharded. */
  shards: string[] | null;
  /** Variable with comma-separated shard URLs (overrides `shards`). */
  shardUrlsEnv: string;
}

export interface LoadedTenants {
  strategy: TenancyStrategyName;
  migrationsDir: string;
  dataSource: string | null;
  discover: TenantDiscovery;
  schemaTemplate: string;
  databaseTemplate: string;
  createDatabase: boolean;
  versionTable: string;
  registry: { schema: string; table: string; idColumn: string } | null;
  /** Schemas after the target's own on every search_path (first: extensions); the strategy decides whether they apply. */
  sharedSchemas: string[];
  maxSchemasPerDatabase: number;
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
  'lockRetries',
  'idleInTransactionTimeoutMs',
  'statementTimeoutMs',
  'allowOutOfOrder',
  'extensions',
  'tenants',
  'shards',
]);

const TENANT_KEYS = new Set<keyof TenantsConfig>([
  'strategy',
  'migrations',
  'dataSource',
  'discover',
  'schemaTemplate',
  'databaseTemplate',
  'createDatabase',
  'versionTable',
  'registry',
  'sharedSchemas',
  'maxSchemasPerDatabase',
]);

/** Extension names as PostgreSQL ships them (`uuid-ossp`, `pgcrypto`, `btree_gist`...). */
export const EXTENSION_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

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
    const database = identifier('database', `${app}_${key}`.replace(/[^A-Za-z0-9_]/g, '_'));
    const versionTable = identifier('versionTable', 'fleet_migrations');
    const createDatabase = bool('createDatabase', false);
    const tenants = db.tenants === undefined ? null : validateTenants(db.tenants, `databases.${key}.tenants`, { dir, database, versionTable, createDatabase }, fail);
    let shards: string[] | null = null;
    if (db.shards !== undefined) {
      if (tenants) fail(field('shards'), 'cannot be combined with tenants (shard the tenant databases through discovery instead)');
      if (typeof db.shards === 'number') {
        if (!Number.isInteger(db.shards) || db.shards < 1 || db.shards > 10_000) fail(field('shards'), 'must be a whole number from 1 to 10000, or a list of database names');
        shards = Array.from({ length: db.shards }, (_, i) => `${database}_shard_${i}`);
      } else if (Array.isArray(db.shards) && db.shards.length > 0) {
        shards = db.shards.map((name, i) => {
          try {
            return assertConfigIdentifier(`${field('shards')}[${i}]`, name);
          } catch (e) {
            return fail(`${field('shards')}[${i}]`, (e as FleetError).details.reason as string);
          }
        });
        if (new Set(shards).size !== shards.length) fail(field('shards'), 'lists a database twice');
      } else fail(field('shards'), 'must be a whole number or a non-empty list of database names');
    }
    let extensions: string[] = [];
    if (db.extensions !== undefined) {
      if (!Array.isArray(db.extensions)) fail(field('extensions'), 'must be a list of extension names');
      extensions = [...new Set(db.extensions)];
      extensions.forEach((e, i) => {
        if (typeof e !== 'string' || !EXTENSION_NAME.test(e)) fail(`${field('extensions')}[${i}]`, 'must be an extension name (a-z, 0-9, "_", "-")');
      });
    }
    return {
      key,
      database,
      urlEnv: str('urlEnv', `${app}_${key}_DATABASE_URL`.toUpperCase().replace(/[^A-Z0-9_]/g, '_')),
      createDatabase,
      migrationsDir: resolve(dir, db.migrations),
      dataSource: db.dataSource === undefined ? null : resolve(dir, str('dataSource', '')),
      schema: identifier('schema', 'public'),
      versionTable,
      adoptTypeormTable: adopt === false ? null : adopt === undefined ? 'migrations' : identifier('adoptTypeormTable', 'migrations'),
      transactionMode: mode,
      lockWaitMs: num('lockWaitMs', 30_000),
      lockTimeoutMs: num('lockTimeoutMs', 5_000),
      lockRetries: Math.floor(num('lockRetries', 3)),
      idleInTransactionTimeoutMs: num('idleInTransactionTimeoutMs', 60_000),
      statementTimeoutMs: num('statementTimeoutMs', 0),
      allowOutOfOrder: bool('allowOutOfOrder', false),
      extensions,
      tenants,
      shards,
      shardUrlsEnv: `${app}_${key}_SHARD_URLS`.toUpperCase().replace(/[^A-Z0-9_]/g, '_'),
    };
  });
  return { app, file, dir, workspaceRoot, databases };
}

function validateTenants(
  raw: unknown,
  where: string,
  parent: { dir: string; database: string; versionTable: string; createDatabase: boolean },
  fail: (field: string, problem: string) => never,
): LoadedTenants {
  if (!raw || typeof raw !== 'object') fail(where, 'must be an object');
  const t = raw as Partial<TenantsConfig>;
  for (const k of Object.keys(t)) if (!TENANT_KEYS.has(k as keyof TenantsConfig)) fail(`${where}.${k}`, `is not a known option (known: ${[...TENANT_KEYS].join(', ')})`);
  if (!(TENANCY_STRATEGIES as readonly unknown[]).includes(t.strategy)) {
    fail(`${where}.strategy`, `must be one of ${TENANCY_STRATEGIES.map((n) => `"${n}"`).join(', ')} ("schema": a schema per tenant, "database": a database per tenant)`);
  }
  if (typeof t.migrations !== 'string' || !t.migrations) fail(`${where}.migrations`, 'must be the path of the tenant migrations directory');
  const d = t.discover;
  const validDiscover =
    typeof d === 'function' ||
    (!!d && typeof d === 'object' && 'sql' in d && typeof d.sql === 'string' && d.sql.trim() !== '') ||
    (!!d && typeof d === 'object' && 'list' in d && Array.isArray(d.list));
  if (!validDiscover) fail(`${where}.discover`, 'must be { sql: "SELECT id ..." }, { list: [...] } or a function returning tenants');
  const template = (name: 'schemaTemplate' | 'databaseTemplate', fallback: string) => {
    const v = t[name] ?? fallback;
    if (typeof v !== 'string' || !v.includes('{id}')) fail(`${where}.${name}`, 'must be a string containing {id}');
    if (!/^[a-z_][a-z0-9_]*$/.test(v.replace('{id}', 'x'))) fail(`${where}.${name}`, 'may only use a-z, 0-9 and "_" around {id}');
    return v as string;
  };
  let registry: LoadedTenants['registry'] = null;
  if (t.registry !== undefined) {
    const r = t.registry as { table?: unknown; schema?: unknown; idColumn?: unknown };
    const ident = (name: string, value: unknown, fallback: string) => {
      try {
        return assertConfigIdentifier(`${where}.registry.${name}`, value ?? fallback);
      } catch (e) {
        return fail(`${where}.registry.${name}`, (e as FleetError).details.reason as string);
      }
    };
    registry = { table: ident('table', r?.table, ''), schema: ident('schema', r?.schema, 'public'), idColumn: ident('idColumn', r?.idColumn, 'id') };
  }
  const max = t.maxSchemasPerDatabase ?? 500;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) fail(`${where}.maxSchemasPerDatabase`, 'must be a whole number >= 1');
  let versionTable = parent.versionTable;
  if (t.versionTable !== undefined) {
    try {
      versionTable = assertConfigIdentifier(`${where}.versionTable`, t.versionTable);
    } catch (e) {
      fail(`${where}.versionTable`, (e as FleetError).details.reason as string);
    }
  }
  if (t.createDatabase !== undefined && typeof t.createDatabase !== 'boolean') fail(`${where}.createDatabase`, 'must be true or false');
  let sharedSchemas = ['extensions'];
  if (t.sharedSchemas !== undefined) {
    if (!Array.isArray(t.sharedSchemas) || t.sharedSchemas.length === 0) fail(`${where}.sharedSchemas`, 'must be a non-empty list of schema names');
    sharedSchemas = t.sharedSchemas.map((name, i) => {
      try {
        return assertConfigIdentifier(`${where}.sharedSchemas[${i}]`, name);
      } catch (e) {
        return fail(`${where}.sharedSchemas[${i}]`, (e as FleetError).details.reason as string);
      }
    });
  }
  return {
    strategy: t.strategy as TenancyStrategyName,
    migrationsDir: resolve(parent.dir, t.migrations as string),
    dataSource:
      t.dataSource === undefined
        ? null
        : typeof t.dataSource === 'string' && t.dataSource
          ? resolve(parent.dir, t.dataSource)
          : fail(`${where}.dataSource`, 'must be the path of a module exporting a DataSource'),
    discover: d as TenantDiscovery,
    schemaTemplate: template('schemaTemplate', 'tenant_{id}'),
    databaseTemplate: template('databaseTemplate', `${parent.database.toLowerCase()}_{id}`),
    createDatabase: t.createDatabase ?? parent.createDatabase,
    versionTable,
    registry,
    sharedSchemas,
    maxSchemasPerDatabase: max,
  };
}
