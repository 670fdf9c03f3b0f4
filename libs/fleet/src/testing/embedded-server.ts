import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from './fixtures';

export interface EmbeddedTestServer {
  port: string;
  stop: () => Promise<void>;
}

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now (asked of the OS), below the
 * ephemeral range (32768 and up on Linux): a random port in that range can be the local end of
 * any test's client connection a moment later, which is how a test's server once failed to bind.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = 20000 + Math.floor(Math.random() * 12000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(candidate, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return candidate;
  }
  throw new Error('no free TCP port found between 20000 and 32000');
}

/**
 * A PostgreSQL server of the test's own (the embedded one) on `dataDir`, for tests that need a
 * second server or one they may stop: tools/ci/embedded-postgres.ts prints the libpq settings once
 * the server is up, and stops it on SIGTERM. Without `port` a free one is chosen, and chosen again
 * if another process takes it between the check and the server's bind; with `port` (a restart on
 * the same data directory) that port is the one.
 */
export async function startEmbeddedTestServer(dataDir: string, port?: string): Promise<EmbeddedTestServer> {
  for (let attempt = 1; ; attempt++) {
    const chosen = port ?? String(await freePort());
    try {
      return await startOnce(dataDir, chosen);
    } catch (err) {
      const portTaken = /Address already in use|could not create any TCP\/IP sockets/.test(String((err as Error).message));
      if (port !== undefined || !portTaken || attempt === 5) throw err;
    }
  }
}

async function startOnce(dataDir: string, port: string): Promise<EmbeddedTestServer> {
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
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('close', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
