import { getProjects, type ProjectConfiguration, type Tree } from '@nx/devkit';

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
