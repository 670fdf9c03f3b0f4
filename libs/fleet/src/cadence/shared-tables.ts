import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_FILE, loadConfig, LoadedConfig } from '../config/load-config';
import { entityMetadata } from '../db/data-source';

/** Where a table is mapped: an app's database and track (through that track's dataSource). */
export interface TableMapping {
  app: string;
  database: string;
  track: 'global' | 'tenant';
}

/** Every app of the workspace: each `apps/<name>/fleet.config.ts`. */
export function workspaceApps(workspaceRoot: string): LoadedConfig[] {
  const appsDir = join(workspaceRoot, 'apps');
  if (!existsSync(appsDir)) return [];
  return readdirSync(appsDir)
    .sort()
    .map((name) => join(appsDir, name, CONFIG_FILE))
    .filter((file) => existsSync(file))
    .map((file) => loadConfig(file, workspaceRoot));
}

/** Table names of a DataSource module's entities, as TypeORM names them (no connection). */
export async function entityTables(modulePath: string): Promise<string[]> {
  const { dataSource: ds } = await entityMetadata(modulePath);
  return [...new Set(ds.entityMetadatas.filter((m) => m.tableType !== 'view').map((m) => m.tableName))].sort();
}

/**
 * Which tables each app maps, from the entities its data sources list; a table mapped by two or
 * more apps is shared, and a change to it must land in every one of them (a cadence step).
 */
export async function tableMappings(apps: LoadedConfig[]): Promise<Map<string, TableMapping[]>> {
  const out = new Map<string, TableMapping[]>();
  for (const app of apps) {
    for (const db of app.databases) {
      const tracks: Array<[TableMapping['track'], string | null]> = [
        ['global', db.dataSource],
        ['tenant', db.tenants?.dataSource ?? null],
      ];
      for (const [track, module] of tracks) {
        if (!module) continue;
        for (const table of await entityTables(module)) out.set(table, [...(out.get(table) ?? []), { app: app.app, database: db.key, track }]);
      }
    }
  }
  return out;
}

export function sharedTables(mappings: Map<string, TableMapping[]>): Map<string, TableMapping[]> {
  return new Map([...mappings].filter(([, m]) => new Set(m.map((x) => x.app)).size > 1).sort(([a], [b]) => a.localeCompare(b)));
}
