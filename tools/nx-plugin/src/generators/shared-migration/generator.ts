import { generateFiles, logger, type Tree } from '@nx/devkit';
import { sharedMigration } from '@fleet/core';
import { posix } from 'node:path';
import { sqlLiteral } from '../migration/generator';
import { pluginPath } from '../lib/plugin-files';

export interface SharedMigrationSchema {
  name: string;
  step?: string;
  timestamp?: number;
}

/**
 * `nx g @fleet/nx-plugin:shared-migration AddUserNickname`: after a change to a shared entity in
 * libs/models, writes the generated migration of every app (database, track) that maps a changed
 * shared table, and appends one cadence step that links them to fleet.cadence.json.
 */
export async function sharedMigrationGenerator(tree: Tree, options: SharedMigrationSchema): Promise<void> {
  const templates = pluginPath(tree.root, 'src/generators/migration/files');
  const result = await sharedMigration({
    workspaceRoot: tree.root,
    name: options.name,
    stepId: options.step,
    timestamp: options.timestamp,
    write: (path, content) => {
      if (tree.exists(path) && path !== 'fleet.cadence.json') throw new Error(`${path} exists already: refusing to overwrite it.`);
      tree.write(path, content);
    },
    // Rendered with the migration generator's template, into a scratch folder of the tree, then moved.
    render: (a) => {
      const scratch = `.fleet-render-${a.className}`;
      generateFiles(tree, templates, scratch, {
        name: options.name,
        className: a.className,
        app: a.app,
        database: a.database,
        track: a.track,
        generated: true,
        up: a.up.map(sqlLiteral),
        down: a.down.map(sqlLiteral),
        fileName: 'migration',
        tmpl: '',
      });
      const content = tree.read(posix.join(scratch, 'migration.ts'), 'utf-8')!;
      tree.delete(scratch);
      return content;
    },
  });
  logger.info(`Cadence step ${result.step} for shared table(s) ${result.tables.join(', ')}:\n${result.files.map((f) => `  ${f}`).join('\n')}\n  fleet.cadence.json`);
}

export default sharedMigrationGenerator;
