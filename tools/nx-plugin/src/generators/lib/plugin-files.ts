import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * A path inside this plugin's package (a generator's templates), from the package's root.
 *
 * The published plugin is compiled CommonJS: the module's folder is `__dirname`. In this
 * repository Nx loads the plugin from its TypeScript sources, and on Node 22.18+ and 24 it lets
 * Node strip the types itself: the sources are then ES modules, which have no `__dirname`
 * (`nx g @fleet/nx-plugin:app` failed with "__dirname is not defined"). The package is then found
 * the way the workspace finds it, from its root.
 */
export function pluginPath(workspaceRoot: string, ...segments: string[]): string {
  const root =
    typeof __dirname === 'string'
      ? join(__dirname, '..', '..', '..') // <root>/src/generators/lib
      : dirname(createRequire(join(workspaceRoot, 'package.json')).resolve('@fleet/nx-plugin/package.json'));
  return join(root, ...segments);
}
