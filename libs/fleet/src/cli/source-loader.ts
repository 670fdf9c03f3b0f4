/**
 * Fleet's own sources, in this repository only: the workspace runs the engine from TypeScript
 * (no build step) through @swc-node/register, a devDependency. The published package is compiled
 * JavaScript and never gets here. User files never go through this: see config/user-modules.ts.
 */
export function ensureSourceLoader(): void {
  if (!__filename.endsWith('.ts')) return; // compiled: nothing to do
  if (process.env.JEST_WORKER_ID !== undefined) return; // Jest transforms every require itself.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const extensions = (require as any).extensions as Record<string, unknown> | undefined;
  if (extensions && extensions['.ts']) return;
  require('@swc-node/register');
}
