import { createNodesFromFiles, type CreateNodes, type CreateNodesResult, type TargetConfiguration } from '@nx/devkit';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Executors behind the inferred targets, in the order `nx show project` lists them. */
export const FLEET_TARGETS = ['migrate', 'revert', 'status', 'history', 'stamp', 'verify', 'drift', 'lint', 'tenant-create', 'tenant-drop'] as const;

export interface FleetPluginOptions {
  /** Prefix for the inferred target names (default none: `migrate`, `status`...). */
  targetPrefix?: string;
}

/**
 * Every project with a `fleet.config.ts` next to its project.json (or package.json) gets the
 * Fleet targets without hand-written boilerplate. They touch live databases, so none is cached;
 * their inputs (the app's config and migrations, the shared models) are declared anyway, for
 * `nx show project` and for the cache-free targets' documentation.
 */
export const createNodes: CreateNodes<FleetPluginOptions> = [
  '**/fleet.config.ts',
  (configFiles, options, context) => createNodesFromFiles((file, opts) => fleetProject(file, opts ?? {}, context.workspaceRoot), configFiles, options ?? {}, context),
];

function fleetProject(configFile: string, options: FleetPluginOptions, workspaceRoot: string): CreateNodesResult {
  const root = dirname(configFile);
  // Only existing projects: a fleet.config.ts elsewhere (a benchmark, a fixture) is not an app.
  if (!existsSync(join(workspaceRoot, root, 'project.json')) && !existsSync(join(workspaceRoot, root, 'package.json'))) return {};
  const targets: Record<string, TargetConfiguration> = {};
  for (const verb of FLEET_TARGETS) {
    targets[`${options.targetPrefix ?? ''}${verb}`] = {
      executor: `@fleet/nx-plugin:${verb}`,
      options: { config: join(root, 'fleet.config.ts') },
      cache: false,
      inputs: ['{projectRoot}/fleet.config.ts', '{projectRoot}/src/**/migrations/**/*', '^production'],
      metadata: { description: `Fleet ${verb} for this app's databases`, technologies: ['fleet', 'typeorm', 'postgresql'] },
    };
  }
  // The cadence check depends only on code: the app, the shared models, the cadence record.
  targets[`${options.targetPrefix ?? ''}cadence-check`] = {
    executor: '@fleet/nx-plugin:cadence-check',
    cache: true,
    inputs: ['default', '^production', '{workspaceRoot}/fleet.cadence.json'],
    metadata: { description: 'Check the cadence of shared tables for this app', technologies: ['fleet'] },
  };
  return { projects: { [root]: { targets } } };
}
