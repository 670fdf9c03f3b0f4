/**
 * Child processes and files for the install tests (fresh-workspace and the compatibility matrix):
 * every command runs as a user would run it, with Nx's daemon, cache, cloud and TUI off.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

export interface Run {
  code: number | null;
  /** stdout and stderr, as a person sees them. */
  out: string;
  stdout: string;
}

/** The environment every install test starts from: no Nx daemon, cache, cloud or TUI. */
export const BASE_ENV: NodeJS.ProcessEnv = { CI: 'true', NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NX_SKIP_NX_CACHE: 'true' };

/** What reaches a registry from this machine: its proxies, CA and registry settings; nothing else of the test's own environment. */
function networkEnv(): NodeJS.ProcessEnv {
  const wanted = /^(https?_proxy|no_proxy|npm_config_registry|node_extra_ca_certs|ssl_cert_file)$/i;
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => wanted.test(key)));
}

export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 180_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...networkEnv(), ...BASE_ENV, ...env } });
    let out = '';
    let stdout = '';
    child.stdout.on('data', (d) => {
      out += d;
      stdout += d;
    });
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out: stripVTControlCharacters(out), stdout });
    });
  });
}

/** Runs a command that must succeed; its output, or an error that shows it. */
export async function ok(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, timeoutMs?: number): Promise<string> {
  const r = await run(command, args, cwd, env, timeoutMs);
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${r.code}:\n${r.out}`);
  return r.out;
}

export function write(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}
