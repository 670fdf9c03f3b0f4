import { randomBytes } from 'node:crypto';
import { withDatabase } from '../db/connection-spec';
import { withClient } from '../db/server';
import { schemaBuilderSql } from '../drift/entity-diff';
import { ConfigError } from '../errors';
import { runFleet } from '../executor/run-fleet';
import { quoteIdent } from '../identifiers';
import type { Target } from '../targets/target';
import { CommonOptions, withRuntime } from './runtime';

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
    const scratch = withDatabase(d.spec, `fleet_scratch_${randomBytes(6).toString('hex')}`);
    const base: Target = track === 'tenant' ? runtime.tenantTarget(d, { id: 'scratch' }, { createDatabases: false }) : d.baseTargets[0];
    const target: Target = { ...base, id: `${base.id} (scratch)`, connection: scratch, adoptTypeormTable: null, createDatabase: null, phase: 0 };
    await withClient(withDatabase(d.spec, d.maintenanceDatabase), runtime.settings, (c) => c.query(`CREATE DATABASE ${quoteIdent(scratch.database)}`));
    try {
      await runtime.resolveExtensions();
      const report = await runFleet('generate', [[target]], { kind: 'migrate', ensureHistory: true }, { concurrency: 1, connections: runtime.connections, emit: runtime.emit });
      if (!report.ok) {
        const r = report.results[0];
        throw new ConfigError(`The ${track} migrations of ${runtime.config.app}/${d.db.key} do not reach head on a scratch database: ${String(r.failed?.error.message ?? r.findings.map((f) => f.message).join(' '))}`);
      }
      await runtime.connections.release(scratch);
      return await schemaBuilderSql(scratch, target.info.schema, dataSource, runtime.settings.applicationName);
    } finally {
      await runtime.connections.release(scratch);
      await withClient(withDatabase(d.spec, d.maintenanceDatabase), runtime.settings, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(scratch.database)} WITH (FORCE)`));
    }
  });
}
