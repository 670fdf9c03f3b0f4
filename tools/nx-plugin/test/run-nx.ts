import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export const WORKSPACE_ROOT = resolve(__dirname, '..', '..', '..');

/** Runs the workspace's Nx CLI as a user would, never from cache, without the daemon. */
export function runNx(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const nxBin = require.resolve('nx/bin/nx', { paths: [WORKSPACE_ROOT] });
  const childEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CI: 'true',
    NX_DAEMON: 'false',
    NX_SKIP_NX_CACHE: 'true',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    ...env,
  };
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [nxBin, ...args], { cwd: WORKSPACE_ROOT, env: childEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** The JSON document inside Nx's output (Nx adds its own header and footer lines). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function parseJsonDocument(output: string): any {
  const start = output.indexOf('\n{');
  const end = output.lastIndexOf('\n}');
  if (start < 0 || end < 0) throw new Error(`no JSON document in:\n${output}`);
  return JSON.parse(output.slice(start + 1, end + 2));
}
