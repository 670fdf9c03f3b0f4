/**
 * Fleet configs, data sources and migrations are TypeScript. Under Jest or ts-node a loader is
 * already active; from the plain CLI or an Nx executor we register @swc-node/register once.
 */
export function ensureTypeScriptLoader(): void {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const extensions = (require as any).extensions as Record<string, unknown> | undefined;
  if (process.env.JEST_WORKER_ID !== undefined) return; // Jest transforms every require itself.
  if (extensions && extensions['.ts']) return;

  require('@swc-node/register');
}
