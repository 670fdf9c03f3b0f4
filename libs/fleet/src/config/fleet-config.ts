/**
 * The Fleet config: one schema per level (fleet, database, tenant track). Each field's schema
 * validates it (load-config.ts collects every problem, with its path) and gives its type: the
 * types below are inferred from the schemas, so the two cannot drift apart.
 */
import { assertConfigIdentifier } from '../identifiers';
import type { Wave } from '../rollout/waves';
import { Infer, s, Schema } from './schema';
import { poolSchema } from './pool-schema';
import { retriesSchema } from './retries-schema';

/** The tenancy strategies (each is implemented in tenancy/strategy.ts). */
export const TENANCY_STRATEGIES = ['schema', 'database'] as const;
export type TenancyStrategyName = (typeof TENANCY_STRATEGIES)[number];

/** Extension names as PostgreSQL ships them (`uuid-ossp`, `pgcrypto`, `btree_gist`...). */
export const EXTENSION_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

/** A name Fleet puts into SQL from the config (quoted; letters, digits, `_`, `$`, at most 63 bytes). */
const identifier = (): Schema<string> =>
  s.string('an identifier (letters, digits, "_", "$"; at most 63 bytes)', (v) => {
    try {
      assertConfigIdentifier('name', v);
      return null;
    } catch (e) {
      return String((e as { details?: { reason?: string } }).details?.reason ?? (e as Error).message);
    }
  });
const millis = () => s.number('a number >= 0 (milliseconds)', (v) => v >= 0);
/** An object, or `false`; an object's problems are named field by field. */
const orFalse = <T>(inner: Schema<T>): Schema<T | false> => ({ ...inner, parse: (v, path, problems) => (v === false ? false : inner.parse(v, path, problems)) });
/** A limit, or `false` (no limit). */
const limit = (inner: Schema<number>) =>
  s.either(
    inner,
    s.custom<false>('false', (v) => v === false),
    `${inner.expected}, or false`,
  );
const template = () =>
  s.string('a string containing {id}', (v) =>
    !v.includes('{id}') ? 'must be a string containing {id}' : /^[a-z_][a-z0-9_]*$/.test(v.replace('{id}', 'x')) ? null : 'may only use a-z, 0-9 and "_" around {id}',
  );

/** A tenant as discovery returns it: an id plus attributes (plan, region...) for conditional migrations. */
export interface TenantRecord {
  id: string;
  attributes?: Record<string, unknown>;
}

/** What a discovery function gets: read-only SQL on the database's global schema. */
export interface DiscoveryContext {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  app: string;
  database: string;
}

/**
 * How to find the tenants of a database, at run time:
 * - `{ sql }`: a query on the global schema returning an `id` column (other columns become attributes);
 * - `{ list }`: a static list of ids (or records);
 * - a function returning records.
 */
export type TenantDiscovery = { sql: string } | { list: Array<string | TenantRecord> } | ((context: DiscoveryContext) => Promise<Array<string | TenantRecord>>);

const discovery = s.custom<TenantDiscovery>(
  '{ sql: "SELECT id ..." }, { list: [...] } or a function returning tenants',
  (d) =>
    typeof d === 'function' ||
    (!!d && typeof d === 'object' && 'sql' in d && typeof (d as { sql: unknown }).sql === 'string' && (d as { sql: string }).sql.trim() !== '') ||
    (!!d && typeof d === 'object' && 'list' in d && Array.isArray((d as { list: unknown }).list)),
);

/** The tenant track of a database. */
export const tenantsSchema = s.object({
  /** `schema`: one schema per tenant in this database. `database`: one database per tenant. */
  strategy: s.literal(TENANCY_STRATEGIES, 'one of "schema", "database" ("schema": a schema per tenant, "database": a database per tenant)'),
  /** The tenant track's migrations directory (relative to the config file). */
  migrations: s.string('the path of the tenant migrations directory'),
  /** Module exporting the TypeORM DataSource whose entities every tenant maps (drift checks). */
  dataSource: s.optional(s.string('the path of a module exporting a DataSource')),
  /** How to find the tenants at run time (see TenantDiscovery). */
  discover: discovery,
  /**
   * schema strategy: the tenant's schema name (default `tenant_{id}`). It needs a fixed part that
   * no schema other than a tenant's has: a template that can give `public`, a `pg_*` name, the
   * database's schema or a shared schema for some tenant id is refused (tenancy/reserved-names.ts).
   */
  schemaTemplate: s.optional(template()),
  /** database strategy: the tenant's database name (default `<database>_{id}`); refused when it can give one of the app's databases or `postgres`/`template0`/`template1`. */
  databaseTemplate: s.optional(template()),
  /** database strategy: create missing tenant databases (default: the database's createDatabase). */
  createDatabase: s.optional(s.boolean()),
  /** Version table in each tenant schema / database (default: the database's versionTable). */
  versionTable: s.optional(identifier()),
  /**
   * Where tenants are registered by `tenant create` (a table in the global schema with an `id`
   * column). Default: none (discovery must then find new tenants by itself).
   */
  registry: s.optional(s.object({ table: identifier(), schema: s.optional(identifier()), idColumn: s.optional(identifier()) }, '{ table, schema?, idColumn? }')),
  /**
   * schema strategy (ignored by the database strategy, whose tenants keep their extensions in
   * their own database): schemas on every session's search_path after the target's own schema (the
   * global schema's and each tenant's), for objects all tenants share. Default `['extensions']`:
   * the database's extensions are installed into the first. A tenant migration's unqualified name
   * that its own schema lacks resolves here, so keep tables out of these schemas.
   */
  sharedSchemas: s.optional(s.list(identifier(), 'a non-empty list of schema names', { nonEmpty: true })),
  /** Warn when one database holds more tenant schemas than this (default 1000: see DEFAULT_MAX_SCHEMAS_PER_DATABASE). */
  maxSchemasPerDatabase: s.optional(s.number('a whole number >= 1', (v) => Number.isInteger(v) && v >= 1)),
  /** Spare tenants kept at head for instant onboarding (config/pool-schema.ts). */
  pool: s.optional(poolSchema),
});
export type TenantsConfig = Infer<typeof tenantsSchema>;

/**
 * One database an app owns. Each has its own migrations directory and its own version table;
 * the apps' `fleet.config.ts` files declare them with `defineFleetConfig`.
 */
export const databaseSchema = s.object({
  /**
   * Database name used when the connection comes from the libpq variables (PGHOST...) or the
   * embedded server. Default: `<app>_<key>`. With `databaseEnv`, the name used when that variable
   * is not set.
   */
  database: s.optional(identifier()),
  /**
   * Environment variable naming the database, as an app's DataSource reads it
   * (`database: process.env.BILLING_DB ?? 'billing'` is `databaseEnv: 'BILLING_DB', database: 'billing'`).
   * When set, it wins over `database` (PGHOST... or the embedded server; a URL names its own
   * database); when not set, `database` is used, and without one Fleet stops and says so rather
   * than guess `<app>_<key>`.
   */
  databaseEnv: s.optional(
    s.string('an environment variable name', (v) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(v) ? null : 'must be an environment variable name (letters, digits, "_")')),
  ),
  /**
   * Environment variable holding this database's URL; when set it wins over everything else.
   * Default: `<APP>_<KEY>_DATABASE_URL`, e.g. APP1_USERS_DATABASE_URL.
   */
  urlEnv: s.optional(s.string()),
  /** Create the database when it does not exist (default false). */
  createDatabase: s.optional(s.boolean()),
  /** Migrations directory, relative to the config file. */
  migrations: s.string('the path of the migrations directory'),
  /**
   * Module exporting the app's TypeORM DataSource for this database (relative to the config file).
   * Fleet reads its entities (drift checks, generating migrations); connections come from Fleet.
   */
  dataSource: s.optional(s.string('the path of a module exporting a DataSource')),
  /** Schema holding this database's tables and version table (default `public`). */
  schema: s.optional(identifier()),
  /** Version table name (default `fleet_migrations`). */
  versionTable: s.optional(identifier()),
  /** TypeORM's own history table to adopt on first run (default `migrations`; false: never adopt). */
  adoptTypeormTable: s.optional(
    s.either(
      identifier(),
      s.custom<false>('false', (v) => v === false),
      'a table name, or false',
    ),
  ),
  /** `each` (default): one transaction per migration. `all`: every pending migration in one. */
  transactionMode: s.optional(s.literal(['each', 'all'] as const)),
  /** Wait this long for another runner's lock on a target (ms, default 30000; 0 = fail at once). */
  lockWaitMs: s.optional(millis()),
  /**
   * PostgreSQL lock_timeout for a target's first attempt (ms, default 1000; 0 = wait forever). A
   * migration's ALTER queued behind a long transaction blocks the app's reads of that table while
   * it waits: better to give up quickly and try again (`retries`), each retry with twice the
   * lock_timeout of the one before, up to `retries.maxLockTimeoutMs`.
   */
  lockTimeoutMs: s.optional(millis()),
  /** Former name of `retries.count` (used when `retries.count` is not set). */
  lockRetries: s.optional(s.number('a whole number >= 0', (v) => Number.isInteger(v) && v >= 0)),
  /** How transient failures are retried (config/retries-schema.ts; README "Transient failures and retries"). */
  retries: s.optional(retriesSchema),
  /**
   * PostgreSQL idle_in_transaction_session_timeout for Fleet's sessions (ms, default 60000; 0 =
   * none): a session whose client went silent mid-transaction (a stalled network) cannot hold
   * its locks on tenant tables for longer.
   */
  idleInTransactionTimeoutMs: s.optional(millis()),
  /** PostgreSQL statement_timeout for migration statements (ms, default 0 = none). */
  statementTimeoutMs: s.optional(millis()),
  /** Apply pending migrations older than applied ones instead of failing (default false). */
  allowOutOfOrder: s.optional(s.boolean()),
  /**
   * PostgreSQL extensions this database needs, beyond those its entities imply (uuid columns imply
   * `uuid-ossp`, citext columns `citext`...: TypeORM's own rule) and those its tenant track's
   * migrations create. Installed once per database (each tenant database, for DB-per-tenant)
   * before its tracks run; in schema-per-tenant into the shared schema (`tenants.sharedSchemas`).
   */
  extensions: s.optional(
    s.list(
      s.string('an extension name (a-z, 0-9, "_", "-")', (v) => (EXTENSION_NAME.test(v) ? null : 'must be an extension name (a-z, 0-9, "_", "-")')),
      'a list of extension names',
    ),
  ),
  /**
   * The tenant track: after this database's own (global) migrations, the tenant migrations run
   * on every tenant schema or tenant database.
   */
  tenants: s.optional(tenantsSchema),
  /**
   * Shards: the same migrations run on each shard database instead of on `database`. A number N
   * means `<database>_shard_0` ... `<database>_shard_{N-1}` on the same server; a list names them.
   * `<APP>_<KEY>_SHARD_URLS` (comma-separated URLs) overrides both.
   */
  shards: s.optional(
    s.either(
      s.number('a whole number from 1 to 10000', (v) => Number.isInteger(v) && v >= 1 && v <= 10_000),
      s.list(identifier(), 'a non-empty list of database names', { nonEmpty: true }),
      'a whole number from 1 to 10000, or a non-empty list of database names',
    ),
  ),
});
export type DatabaseConfig = Infer<typeof databaseSchema>;

export const fleetConfigSchema = s.object(
  {
    /** The app's name (the Nx project name). */
    app: s.string('the app name (letters, digits, "-", "_", ".")', (v) => (/^[A-Za-z0-9_.-]+$/.test(v) ? null : 'must be the app name (letters, digits, "-", "_", ".")')),
    /** The app's databases by key (`users`, `analytics`...). */
    databases: s.record(/^[A-Za-z][A-Za-z0-9_-]*$/, 'must start with a letter and use letters, digits, "-", "_"', databaseSchema, 'an object with one entry per database'),
    /**
     * Staged rollouts: `migrate` runs the tenants wave by wave (see rollout/waves.ts), stopping at
     * a failing wave; `--wave <name>` runs one wave.
     */
    rollout: s.optional(
      s.object(
        {
          waves: s.list(
            s.object(
              {
                name: identifier(),
                match: s.optional(
                  s.custom<NonNullable<Wave['match']>>(
                    'an object of tenant attributes, e.g. { plan: "internal" }',
                    (v) => !!v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length > 0,
                  ),
                ),
                percent: s.optional(s.number('a percentage above 0, at most 100', (v) => v > 0 && v <= 100)),
                rest: s.optional(s.custom<true>('true', (v) => v === true)),
                onError: s.optional(s.literal(['stop', 'continue'] as const)),
                failureThreshold: s.optional(s.number('a whole number >= 0', (v) => Number.isInteger(v) && v >= 0)),
                pauseMs: s.optional(millis()),
              },
              '{ name, match | percent | rest, onError?, failureThreshold?, pauseMs? }',
            ),
            'a non-empty list of waves',
            { nonEmpty: true },
          ),
        },
        '{ waves: [...] }',
      ),
    ),
    /**
     * Queue mode (`migrate --queue`, `fleet worker`): where the job queue's tables live. `database`:
     * the key of one of the app's databases (default: the first); `schema`: default `fleet_queue`.
     */
    queue: s.optional(s.object({ database: s.optional(s.string()), schema: s.optional(identifier()) }, '{ database?, schema? }')),
    /**
     * Health-aware pacing (db/health.ts): new targets wait while their server is unhealthy; targets
     * already running go on. Each limit may be `false` (that check off); `health: false` turns them all off.
     */
    health: s.optional(
      orFalse(
        s.object(
          {
            /** A standby's replay_lag above this, while it is behind, pauses (ms, default 30000). */
            maxReplicationLagMs: s.optional(limit(millis())),
            /** A standby with more WAL than this not replayed pauses (bytes, default 1 GiB). */
            maxReplicationLagBytes: s.optional(limit(s.number('a whole number >= 0 (bytes)', (v) => Number.isInteger(v) && v >= 0))),
            /** More application sessions than this blocked behind Fleet's sessions pause (default 0: any). */
            maxBlockedSessions: s.optional(limit(s.number('a whole number >= 0', (v) => Number.isInteger(v) && v >= 0))),
            /** Another session's transaction open longer than this in the target's database pauses its targets (ms, default 60000). */
            maxTransactionAgeMs: s.optional(limit(millis())),
            /** Sample each server at most this often (ms, default 1000, at least 100). */
            checkEveryMs: s.optional(s.number('a number >= 100 (milliseconds)', (v) => v >= 100)),
            /** Targets that waited this long are not started, reported NOT RUN (ms, default 600000; false: wait until interrupted). */
            maxPauseMs: s.optional(limit(millis())),
          },
          'an object of limits ({ maxReplicationLagMs?, maxReplicationLagBytes?, maxBlockedSessions?, maxTransactionAgeMs?, checkEveryMs?, maxPauseMs? }), or false',
        ),
      ),
    ),
  },
  'an object (export default defineFleetConfig({...}))',
);
export type FleetConfig = Infer<typeof fleetConfigSchema>;

/** Typed helper for `fleet.config.ts`: `export default defineFleetConfig({...})`. */
export function defineFleetConfig(config: FleetConfig): FleetConfig {
  return config;
}
