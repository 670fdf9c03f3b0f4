import { spawn } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from './fixtures';

const FLEET_BIN = join(WORKSPACE_ROOT, 'libs', 'fleet', 'bin', 'fleet.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a Node script in a child process with a clean environment (PATH, HOME, CI) plus `env`. */
export function runNode(script: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000, cwd = WORKSPACE_ROOT): Promise<CliResult> {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true' };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd, env: { ...base, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      // Nx forces colour on the tasks it runs (FORCE_COLOR): tests read the text without it.
      resolve({ code, stdout: stripVTControlCharacters(stdout), stderr: stripVTControlCharacters(stderr) });
    });
  });
}

/** Runs `fleet ...args` as a user would. */
export function runFleet(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<CliResult> {
  return runNode(FLEET_BIN, args, env, timeoutMs);
}
