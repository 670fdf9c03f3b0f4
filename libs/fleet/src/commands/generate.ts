import { schemaBuilderSql } from '../drift/entity-diff';
import { ConfigError } from '../errors';
import { CommonOptions, withRuntime } from './runtime';
import { runTrackOnScratch, withScratchDatabase } from './scratch';

export interface GenerateOptions extends Omit<CommonOptions, 'databases' | 'tenants'> {
  database: string;
  track: 'global' | 'tenant';
}

export interface GeneratedSql {
  up: string[];
  down: string[];
}

/**
 * What a new migration must do: a scratch database on the app's server is migrated to head with
 * the track's migrations, then TypeORM's schema builder compares it with the track's entities.
 * Like `typeorm migration:generate`, per database and track. The scratch database is always
 * dropped. Fails when the track has no dataSource, or when its migrations do not reach head.
 */
export async function generateMigrationSql(options: GenerateOptions): Promise<GeneratedSql> {
  const { database, track, ...common } = options;
  return withRuntime({ ...common, databases: [database] }, { createDatabases: false }, async (runtime) => {
    const d = runtime.databases[0];
    const dataSource = track === 'tenant' ? d.db.tenants?.dataSource : d.db.dataSource;
    if (track === 'tenant' && !d.db.tenants) throw new ConfigError(`${runtime.config.app}/${d.db.key} has no tenant track.`);
    if (!dataSource) {
      throw new ConfigError(`${runtime.config.app}/${d.db.key} (${track} track) has no dataSource in its Fleet config: the entities to compare with are unknown.`);
    }
    await runtime.resolveExtensions();
    return withScratchDatabase(runtime, d, async (scratch) => {
      const run = await runTrackOnScratch(runtime, d, track, scratch);
      const failed = run.report.results.find((r) => r.outcome !== 'changed' && r.outcome !== 'unchanged');
      if (failed) {
        throw new ConfigError(
          `The ${track} migrations of ${runtime.config.app}/${d.db.key} do not reach head on a scratch database: ${String(failed.failed?.error.message ?? failed.findings.map((f) => f.message).join(' '))}`,
        );
      }
      await runtime.connections.release(scratch);
      return schemaBuilderSql(scratch, run.target.info.schema, dataSource, runtime.settings.applicationName);
    });
  });
}
