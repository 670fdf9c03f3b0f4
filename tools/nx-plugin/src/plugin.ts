import { createNodesFromFiles, type CreateNodes, type CreateNodesResult, type TargetConfiguration } from '@nx/devkit';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { declaredTargets, type FleetTargetNaming, targetNameFor } from '@fleet/core';
import { nxVerbs } from './sync-executors';

/** The inferred targets: every verb of @fleet/core's registry that is an Nx target, in its order. */
export const FLEET_TARGETS: readonly string[] = nxVerbs().map((v) => v.name);

/**
 * `targetPrefix`: before every inferred target name (default none: `migrate`, `status`...);
 * `targetNames`: one verb's target under another name (`{ "lint": "fleet-lint" }`, what `init`
 * writes when another plugin already infers `lint`). A name the project declares itself
 * (project.json, package.json scripts) is never shadowed: Fleet's becomes `fleet-<name>`.
 */
export type FleetPluginOptions = FleetTargetNaming;

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
  const taken = declaredTargets(join(workspaceRoot, root));
  for (const verb of nxVerbs()) {
    const nx = verb.nx || {};
    const perApp = nx.appOptions !== false;
    targets[targetNameFor(verb.name, options, taken)] = {
      executor: `@fleet/nx-plugin:${verb.name}`,
      ...(perApp ? { options: { config: join(root, 'fleet.config.ts') } } : {}),
      // App verbs touch live databases: never cached. A verb that only reads code may be.
      cache: nx.cache ?? false,
      inputs: nx.inputs ?? ['{projectRoot}/fleet.config.ts', '{projectRoot}/src/**/migrations/**/*', '^production'],
      metadata: { description: verb.summary, technologies: ['fleet', 'typeorm', 'postgresql'] },
    };
  }
  return { projects: { [root]: { targets } } };
}
