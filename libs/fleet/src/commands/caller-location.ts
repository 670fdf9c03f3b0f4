/**
 * Where the API finds an app's config when it is called from the app's own code (`createTenant()`
 * in a sign-up handler): from an explicit path, or relative to the module that called it, never
 * from the process's working directory (a server started from `/`, a test runner, a worker in
 * another folder would each find another config, or none).
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_FILE } from '../config/load-config';
import { ConfigError } from '../errors';
import type { CommonOptions } from './options';

/** The file of the code that called `fn` (the first stack frame below it that has a file), or null. */
export function callerFile(fn: (...args: never[]) => unknown): string | null {
  const holder: { stack?: unknown } = {};
  const prepare = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_error, frames) => frames;
    Error.captureStackTrace(holder, fn);
    for (const frame of (holder.stack as NodeJS.CallSite[] | undefined) ?? []) {
      const name = frame.getFileName();
      if (!name || name.startsWith('node:')) continue;
      return name.startsWith('file://') ? fileURLToPath(name) : name;
    }
    return null;
  } finally {
    Error.prepareStackTrace = prepare;
  }
}

/**
 * Fills in `config` (absolute) and `workspaceRoot` for an API call from `caller`'s module:
 * - a loaded config, or a `workspaceRoot` given: as given (the caller said where);
 * - an absolute `config` path: that file;
 * - a relative `config` path, or `app`: looked for in the caller's folder and each folder above
 *   it (`<folder>/<config>`; `<folder>/apps/<app>/fleet.config.ts`, `<folder>/<app>/fleet.config.ts`);
 *   the first that exists wins.
 * The workspace root is the nearest folder above the config that has an `nx.json` (else the
 * folder where it was found).
 */
export function locateFromCaller<T extends Pick<CommonOptions, 'config' | 'workspaceRoot' | 'app'>>(options: T, caller: string | null, what: string): T {
  if (typeof options.config === 'object' || options.workspaceRoot !== undefined) return options;
  const config = options.config;
  if (config !== undefined && isAbsolute(config)) {
    if (!existsSync(config)) throw new ConfigError(`${what}: Fleet config ${config} does not exist.`, { file: config });
    return { ...options, workspaceRoot: workspaceRootAbove(dirname(config), dirname(config)) };
  }
  if (config === undefined && options.app === undefined) {
    throw new ConfigError(`${what}: say which app (app: '<name>') or which config (config: an absolute path, or one relative to the calling module).`);
  }
  const wanted = config !== undefined ? [config] : [join('apps', options.app!, CONFIG_FILE), join(options.app!, CONFIG_FILE)];
  if (caller === null) {
    throw new ConfigError(`${what}: cannot tell which module called it, so cannot find ${wanted.join(' or ')}: pass config as an absolute path (or workspaceRoot).`);
  }
  const start = dirname(caller);
  for (let dir = start; ; dir = dirname(dir)) {
    const found = wanted.map((w) => join(dir, w)).find((file) => existsSync(file));
    if (found) return { ...options, config: found, workspaceRoot: workspaceRootAbove(dirname(found), dir) };
    if (dirname(dir) === dir) break;
  }
  throw new ConfigError(
    `${what}: no ${wanted.join(' or ')} in ${start} or any folder above it (the config is found from the calling module, not the working directory). ` +
      'Pass config as an absolute path, e.g. path.join(__dirname, "../fleet.config.ts"), or workspaceRoot.',
    { caller },
  );
}

function workspaceRootAbove(from: string, fallback: string): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) return fallback;
  }
}
