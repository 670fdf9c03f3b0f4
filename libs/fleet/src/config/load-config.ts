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

/**
 * The known options, checked by the compiler against the config's interfaces (a key missing here
 * or not in the interface is a type error), so the key list cannot drift from the types.
 */
const keysOf =
  <T>() =>
  (keys: Record<keyof T, true>): Set<keyof T> =>
    new Set(Object.keys(keys) as Array<keyof T>);

const DATABASE_KEYS = keysOf<DatabaseConfig>()({
  database: true,
  urlEnv: true,
  createDatabase: true,
  migrations: true,
  dataSource: true,
  schema: true,
  versionTable: true,
  adoptTypeormTable: true,
  transactionMode: true,
  lockWaitMs: true,
  lockTimeoutMs: true,
  lockRetries: true,
  idleInTransactionTimeoutMs: true,
  statementTimeoutMs: true,
  allowOutOfOrder: true,
  extensions: true,
  tenants: true,
  shards: true,
});
const TENANT_KEYS = keysOf<TenantsConfig>()({
  strategy: true,
  migrations: true,
  dataSource: true,
  discover: true,
  schemaTemplate: true,
  databaseTemplate: true,
  createDatabase: true,
  versionTable: true,
  registry: true,
  sharedSchemas: true,
  maxSchemasPerDatabase: true,
});

/** Extension names as PostgreSQL ships them (`uuid-ossp`, `pgcrypto`, `btree_gist`...). */
export const EXTENSION_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

/** One thing wrong with a config: where (`databases.users.tenants.strategy`) and what. */
export interface ConfigProblem {
  field: string;
  problem: string;
}

class Problem extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field} ${problem}`);
  }
}

/**
 * Validates once, up front, and reports every problem at once, each with its path
 * (`databases.users.tenants.strategy: must be ...`), so that a broken config is fixed in one go.
 */
export function validateConfig(raw: unknown, file: string, workspaceRoot: string): LoadedConfig {
  const where = relative(workspaceRoot, file) || file;
  const problems: ConfigProblem[] = [];
  const fail = (field: string, problem: string): never => {
    throw new Problem(field, problem);
  };
  /** Runs one check; a problem is recorded and the fallback stands in, so the other checks still run. */
  const check = <T>(fallback: T, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof Problem)) throw e;
      problems.push({ field: e.field, problem: e.problem });
      return fallback;
    }
  };
  const done = (): void => {
    if (problems.length === 0) return;
    const list = problems.map((p) => `${p.field}: ${p.problem}`);
    throw new ConfigError(
      problems.length === 1 ? `Invalid Fleet config ${where}: ${list[0]}.` : `Invalid Fleet config ${where}, ${problems.length} problems:\n  - ${list.join('\n  - ')}`,
      { file: where, field: problems[0].field, problems },
    );
  };
  if (!raw || typeof raw !== 'object') {
    check(undefined, () => fail('the default export', 'must be an object (export default defineFleetConfig({...}))'));
    done();
  }
  const config = raw as Partial<FleetConfig>;
  const app = check('app', () => {
    if (typeof config.app !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(config.app)) fail('app', 'must be the app name (letters, digits, "-", "_", ".")');
    return config.app as string;
  });
  const entries = check([] as Array<[string, DatabaseConfig]>, () => {
    if (!config.databases || typeof config.databases !== 'object' || Array.isArray(config.databases)) fail('databases', 'must be an object with one entry per database');
    const list = Object.entries(config.databases as Record<string, DatabaseConfig>);
    if (list.length === 0) fail('databases', 'declares no database');
    return list;
  });
  const dir = dirname(file);
  const databases = entries.map(([key, db]): LoadedDatabase => {
    const field = (name: string) => `databases.${key}.${name}`;
    check(undefined, () => {
      if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(key)) fail(`databases.${key}`, 'the key must start with a letter and use letters, digits, "-", "_"');
    });
    if (!db || typeof db !== 'object') {
      check(undefined, () => fail(`databases.${key}`, 'must be an object'));
      db = { migrations: '.' } as DatabaseConfig;
    }
    for (const k of Object.keys(db))
      check(undefined, () => (DATABASE_KEYS.has(k as keyof DatabaseConfig) ? undefined : fail(field(k), `is not a known option (known: ${[...DATABASE_KEYS].join(', ')})`)));
    const str = (name: keyof DatabaseConfig, fallback: string): string =>
      check(fallback, () => {
        const v = db[name];
        if (v === undefined) return fallback;
        if (typeof v !== 'string' || v.length === 0) fail(field(name), 'must be a non-empty string');
        return v as string;
      });
    const num = (name: keyof DatabaseConfig, fallback: number): number =>
      check(fallback, () => {
        const v = db[name];
        if (v === undefined) return fallback;
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(field(name), 'must be a number >= 0 (milliseconds)');
        return v as number;
      });
    const bool = (name: keyof DatabaseConfig, fallback: boolean): boolean =>
      check(fallback, () => {
        const v = db[name];
        if (v === undefined) return fallback;
        if (typeof v !== 'boolean') fail(field(name), 'must be true or false');
        return v as boolean;
      });
    const identifier = (name: keyof DatabaseConfig, fallback: string): string =>
      check(fallback, () => {
        const value = db[name] === undefined ? fallback : db[name];
        if (typeof value !== 'string' || value.length === 0) fail(field(name), 'must be a non-empty string');
        try {
          return assertConfigIdentifier(field(name), value);
        } catch (e) {
          return fail(field(name), (e as FleetError).details.reason as string);
        }
      });
    const migrations = check('.', () =>
      typeof db.migrations === 'string' && db.migrations ? db.migrations : fail(field('migrations'), 'must be the path of the migrations directory'),
    );
    const mode = check<'each' | 'all'>('each', () => {
      const m = db.transactionMode ?? 'each';
      return m === 'each' || m === 'all' ? m : fail(field('transactionMode'), 'must be "each" or "all"');
    });
    const adopt = db.adoptTypeormTable;
    const database = identifier('database', `${app}_${key}`.replace(/[^A-Za-z0-9_]/g, '_'));
    const versionTable = identifier('versionTable', 'fleet_migrations');
    const createDatabase = bool('createDatabase', false);
    const tenants = db.tenants === undefined ? null : validateTenants(db.tenants, `databases.${key}.tenants`, { dir, database, versionTable, createDatabase }, fail, check);
    const shards = check<string[] | null>(null, () => {
      if (db.shards === undefined) return null;
      if (tenants) fail(field('shards'), 'cannot be combined with tenants (shard the tenant databases through discovery instead)');
      if (typeof db.shards === 'number') {
        if (!Number.isInteger(db.shards) || db.shards < 1 || db.shards > 10_000) fail(field('shards'), 'must be a whole number from 1 to 10000, or a list of database names');
        return Array.from({ length: db.shards }, (_, i) => `${database}_shard_${i}`);
      }
      if (!Array.isArray(db.shards) || db.shards.length === 0) return fail(field('shards'), 'must be a whole number or a non-empty list of database names');
      const names = db.shards.map((name, i) =>
        check(`shard_${i}`, () => {
          try {
            return assertConfigIdentifier(`${field('shards')}[${i}]`, name);
          } catch (e) {
            return fail(`${field('shards')}[${i}]`, (e as FleetError).details.reason as string);
          }
        }),
      );
      if (new Set(names).size !== names.length) fail(field('shards'), 'lists a database twice');
      return names;
    });
    const extensions = check<string[]>([], () => {
      if (db.extensions === undefined) return [];
      if (!Array.isArray(db.extensions)) return fail(field('extensions'), 'must be a list of extension names');
      const list = [...new Set(db.extensions)];
      list.forEach((e, i) =>
        check(undefined, () =>
          typeof e === 'string' && EXTENSION_NAME.test(e) ? undefined : fail(`${field('extensions')}[${i}]`, 'must be an extension name (a-z, 0-9, "_", "-")'),
        ),
      );
      return list;
    });
    return {
      key,
      database,
      urlEnv: str('urlEnv', `${app}_${key}_DATABASE_URL`.toUpperCase().replace(/[^A-Z0-9_]/g, '_')),
      createDatabase,
      migrationsDir: resolve(dir, migrations),
      dataSource: db.dataSource === undefined ? null : resolve(dir, str('dataSource', '.')),
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
  done();
  return { app, file, dir, workspaceRoot, databases };
}

type Check = <T>(fallback: T, fn: () => T) => T;

function validateTenants(
  raw: unknown,
  where: string,
  parent: { dir: string; database: string; versionTable: string; createDatabase: boolean },
  fail: (field: string, problem: string) => never,
  check: Check,
): LoadedTenants {
  if (!raw || typeof raw !== 'object') {
    check(undefined, () => fail(where, 'must be an object'));
    raw = {};
  }
  const t = raw as Partial<TenantsConfig>;
  for (const k of Object.keys(t))
    check(undefined, () => (TENANT_KEYS.has(k as keyof TenantsConfig) ? undefined : fail(`${where}.${k}`, `is not a known option (known: ${[...TENANT_KEYS].join(', ')})`)));
  const strategy = check<TenancyStrategyName>('schema', () =>
    (TENANCY_STRATEGIES as readonly unknown[]).includes(t.strategy)
      ? (t.strategy as TenancyStrategyName)
      : fail(`${where}.strategy`, `must be one of ${TENANCY_STRATEGIES.map((n) => `"${n}"`).join(', ')} ("schema": a schema per tenant, "database": a database per tenant)`),
  );
  const migrations = check('.', () =>
    typeof t.migrations === 'string' && t.migrations ? t.migrations : fail(`${where}.migrations`, 'must be the path of the tenant migrations directory'),
  );
  const d = t.discover;
  check(undefined, () => {
    const validDiscover =
      typeof d === 'function' ||
      (!!d && typeof d === 'object' && 'sql' in d && typeof d.sql === 'string' && d.sql.trim() !== '') ||
      (!!d && typeof d === 'object' && 'list' in d && Array.isArray(d.list));
    if (!validDiscover) fail(`${where}.discover`, 'must be { sql: "SELECT id ..." }, { list: [...] } or a function returning tenants');
  });
  const template = (name: 'schemaTemplate' | 'databaseTemplate', fallback: string) =>
    check(fallback, () => {
      const v = t[name] ?? fallback;
      if (typeof v !== 'string' || !v.includes('{id}')) fail(`${where}.${name}`, 'must be a string containing {id}');
      if (!/^[a-z_][a-z0-9_]*$/.test(v.replace('{id}', 'x'))) fail(`${where}.${name}`, 'may only use a-z, 0-9 and "_" around {id}');
      return v as string;
    });
  const ident = (path: string, value: unknown, fallback: string) =>
    check(fallback || 'x', () => {
      try {
        return assertConfigIdentifier(path, value ?? fallback);
      } catch (e) {
        return fail(path, (e as FleetError).details.reason as string);
      }
    });
  let registry: LoadedTenants['registry'] = null;
  if (t.registry !== undefined) {
    const r = t.registry as { table?: unknown; schema?: unknown; idColumn?: unknown };
    registry = {
      table: ident(`${where}.registry.table`, r?.table, ''),
      schema: ident(`${where}.registry.schema`, r?.schema, 'public'),
      idColumn: ident(`${where}.registry.idColumn`, r?.idColumn, 'id'),
    };
  }
  const max = check(500, () => {
    const m = t.maxSchemasPerDatabase ?? 500;
    return typeof m === 'number' && Number.isInteger(m) && m >= 1 ? m : fail(`${where}.maxSchemasPerDatabase`, 'must be a whole number >= 1');
  });
  const versionTable = t.versionTable === undefined ? parent.versionTable : ident(`${where}.versionTable`, t.versionTable, parent.versionTable);
  check(undefined, () => (t.createDatabase === undefined || typeof t.createDatabase === 'boolean' ? undefined : fail(`${where}.createDatabase`, 'must be true or false')));
  const sharedSchemas = check(['extensions'], () => {
    if (t.sharedSchemas === undefined) return ['extensions'];
    if (!Array.isArray(t.sharedSchemas) || t.sharedSchemas.length === 0) return fail(`${where}.sharedSchemas`, 'must be a non-empty list of schema names');
    return t.sharedSchemas.map((name, i) => ident(`${where}.sharedSchemas[${i}]`, name, 'extensions'));
  });
  const dataSource = check<string | null>(null, () =>
    t.dataSource === undefined
      ? null
      : typeof t.dataSource === 'string' && t.dataSource
        ? resolve(parent.dir, t.dataSource)
        : fail(`${where}.dataSource`, 'must be the path of a module exporting a DataSource'),
  );
  return {
    strategy,
    migrationsDir: resolve(parent.dir, migrations),
    dataSource,
    discover: d as TenantDiscovery,
    schemaTemplate: template('schemaTemplate', 'tenant_{id}'),
    databaseTemplate: template('databaseTemplate', `${parent.database.toLowerCase()}_{id}`),
    createDatabase: (t.createDatabase as boolean | undefined) ?? parent.createDatabase,
    versionTable,
    registry,
    sharedSchemas,
    maxSchemasPerDatabase: max,
  };
}
