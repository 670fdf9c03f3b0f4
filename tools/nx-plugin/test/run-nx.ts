import { resolve } from 'node:path';
import { CliResult, runNode } from '@fleet/core/testing';

export const WORKSPACE_ROOT = resolve(__dirname, '..', '..', '..');

/** Runs the workspace's Nx CLI as a user would, never from cache, without the daemon. */
export function runNx(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<CliResult> {
  const nxBin = require.resolve('nx/bin/nx', { paths: [WORKSPACE_ROOT] });
  return runNode(nxBin, args, { NX_DAEMON: 'false', NX_SKIP_NX_CACHE: 'true', NX_NO_CLOUD: 'true', NX_TUI: 'false', ...env }, timeoutMs);
}

/** The JSON document inside Nx's output (Nx adds its own header and footer lines). */

export function parseJsonDocument(output: string): any {
  const start = output.indexOf('\n{');
  const end = output.lastIndexOf('\n}');
  if (start < 0 || end < 0) throw new Error(`no JSON document in:\n${output}`);
  return JSON.parse(output.slice(start + 1, end + 2));
}
