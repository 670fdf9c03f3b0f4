import { getProjects, readNxJson, type ProjectConfiguration, type Tree } from '@nx/devkit';
import { FLEET_PLUGIN, type FleetTargetNaming, targetNameFor } from '@fleet/core';

/**
 * The project a generator's `--project` names: its full Nx name (`@acme/api`) or, where that is
 * unique, its unscoped form (`api`), which is what Fleet's app names and hints use.
 */
export function findProject(tree: Tree, name: string): { name: string; project: ProjectConfiguration } {
  const projects = getProjects(tree);
  const exact = projects.get(name);
  if (exact) return { name, project: exact };
  const unscoped = (n: string) => n.replace(/^@[^/]+\//, '');
  const matches = [...projects.entries()].filter(([n]) => unscoped(n) === unscoped(name));
  if (matches.length === 1) return { name: matches[0][0], project: matches[0][1] };
  if (matches.length > 1) throw new Error(`--project ${name} matches ${matches.map(([n]) => n).join(' and ')}: give the full project name.`);
  const names = [...projects.keys()].sort();
  throw new Error(`No project named ${name}.${names.length ? ` Projects: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', ...' : ''}.` : ''}`);
}

/** `nx run <project>:<target>` for a Fleet verb, with the target named as the plugin names it in this workspace. */
export function nxRun(tree: Tree, projectName: string, verb: string): string {
  const entry = (readNxJson(tree)?.plugins ?? []).find((p) => (typeof p === 'string' ? p : p.plugin) === FLEET_PLUGIN);
  const naming = (entry && typeof entry !== 'string' ? entry.options : {}) as FleetTargetNaming;
  const project = getProjects(tree).get(projectName);
  return `nx run ${projectName}:${targetNameFor(verb, naming ?? {}, new Set(Object.keys(project?.targets ?? {})))}`;
}
