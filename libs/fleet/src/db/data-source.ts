/**
 * The one place Fleet builds TypeORM DataSources: connected ones (the pooled runner, the schema
 * builder of drift and --generate) and metadata-only ones (the entities of an app's DataSource
 * module, for extensions and shared tables). Fleet never lets TypeORM synchronize, run migrations
 * or install extensions on its own.
 */
import { DataSource, EntitySchema, MixedList } from 'typeorm';
import { loadUserModule } from '../config/user-modules';
import { ConfigError } from '../errors';
import type { ConnectionSpec } from './connection-spec';
import { clientConfig } from './server';

// TypeORM's own type for a DataSource's entities includes `Function` (entity classes).
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type EntityList = MixedList<Function | string | EntitySchema>;

export interface FleetDataSourceOptions {
  applicationName: string;
  connectTimeoutMs?: number;
  /** TypeORM's `schema` (entities and its metadata table); the session's search_path is set by `extra.options` or by Fleet. */
  schema?: string;
  entities?: EntityList;
  namingStrategy?: unknown;
  poolSize: number;
  /** Passed to pg's pool (Client class, keepalive, timeouts, `options: -c search_path=...`). */
  extra?: Record<string, unknown>;
}

/** A DataSource on `spec` that does only what Fleet asks of it. Not yet initialized. */
export function postgresDataSource(spec: ConnectionSpec, options: FleetDataSourceOptions): DataSource {
  const base = clientConfig(spec, { applicationName: options.applicationName, connectTimeoutMs: options.connectTimeoutMs ?? 10_000 });
  return new DataSource({
    type: 'postgres',
    host: base.host,
    port: base.port,
    username: base.user,
    password: base.password as string | undefined,
    database: base.database,
    ssl: base.ssl as boolean | undefined,
    applicationName: options.applicationName,
    schema: options.schema,
    entities: options.entities ?? [],
    namingStrategy: options.namingStrategy as never,
    migrations: [],
    synchronize: false,
    migrationsRun: false,
    // Extensions are installed once per database, into the shared schema (extensions/), never
    // implicitly by TypeORM into whatever schema a session happens to point at.
    installExtensions: false,
    uuidExtension: 'pgcrypto',
    poolSize: options.poolSize,
    extra: { max: options.poolSize, ...options.extra },
  });
}

/** The entities of a TypeORM DataSource module (its default export, or a `dataSource` / `AppDataSource` export). */
export function loadEntities(modulePath: string): { entities: EntityList; options: Record<string, unknown> } {
  let mod: Record<string, unknown>;
  try {
    mod = loadUserModule(modulePath);
  } catch (cause) {
    throw new ConfigError(`The data source module ${modulePath} failed to load: ${(cause as Error)?.message ?? cause}`, { module: modulePath }, { cause });
  }
  const ds = (mod.default ?? mod.dataSource ?? mod.AppDataSource) as DataSource | undefined;
  if (!ds || typeof ds !== 'object' || !('options' in ds)) {
    throw new ConfigError(`${modulePath} must export a TypeORM DataSource (export default new DataSource({...})).`, { module: modulePath });
  }
  return { entities: ds.options.entities ?? [], options: ds.options as unknown as Record<string, unknown> };
}

/** A DataSource module's entity metadata, built without connecting (TypeORM's naming rules applied). */
export async function entityMetadata(modulePath: string): Promise<{ dataSource: DataSource; options: Record<string, unknown> }> {
  const { entities, options } = loadEntities(modulePath);
  const dataSource = new DataSource({ type: 'postgres', entities, namingStrategy: options.namingStrategy as never });
  await (dataSource as unknown as { buildMetadatas(): Promise<void> }).buildMetadatas();
  return { dataSource, options };
}
