import type { Tree } from '@nx/devkit';
import { validateConfig, type LoadedConfig } from '@fleet/core';
import { runInNewContext } from 'node:vm';
import { posix } from 'node:path';
import { compileTypeScript } from '@fleet/core/config/typescript-source';

/**
 * Reads an app's fleet.config.ts from the Nx Tree (so generators work on the virtual tree, in
 * dry runs and in tests): compiled by swc (no `typescript` package needed) and evaluated in a sandbox where the only
 * import is `@fleet/core`'s defineFleetConfig. Paths come back relative to the workspace root.
 */
export function readFleetConfig(tree: Tree, configPath: string): LoadedConfig {
  const source = tree.read(configPath, 'utf-8');
  if (source === null) throw new Error(`No Fleet config at ${configPath}.`);
  const js = compileTypeScript(source, configPath);
  const module = { exports: {} as Record<string, unknown> };
  const sandboxRequire = (id: string) => {
    if (id === '@fleet/core') return { defineFleetConfig: <T>(c: T) => c };
    throw new Error(`${configPath} imports ${id}; generators read configs that import only @fleet/core.`);
  };
  runInNewContext(js, { module, exports: module.exports, require: sandboxRequire, process: { env: {} } }, { filename: configPath });
  const raw = module.exports.default ?? module.exports;
  const loaded = validateConfig(raw, posix.join('/', configPath), '/');
  const strip = (p: string) => p.replace(/^\//, '');
  return {
    ...loaded,
    file: configPath,
    dir: posix.dirname(configPath),
    databases: loaded.databases.map((d) => ({
      ...d,
      migrationsDir: strip(d.migrationsDir),
      dataSource: d.dataSource && strip(d.dataSource),
      tenants: d.tenants && { ...d.tenants, migrationsDir: strip(d.tenants.migrationsDir), dataSource: d.tenants.dataSource && strip(d.tenants.dataSource) },
    })),
  };
}
