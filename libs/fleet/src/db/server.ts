import { Client, ClientConfig } from 'pg';
import { ConnectionError } from '../errors';
import { quoteIdent } from '../identifiers';
import { ConnectionSpec, describeConnection, withDatabase } from './connection-spec';
import { readServerIdentity } from './server-identity';

/** Connection settings every Fleet connection shares. */
export interface ClientSettings {
  applicationName: string;
  /** Bounded connect timeout (ms): an unreachable host fails instead of hanging. */
  connectTimeoutMs: number;
}

export function clientConfig(spec: ConnectionSpec, settings: ClientSettings): ClientConfig {
  return {
    host: spec.host,
    port: spec.port,
    user: spec.user,
    password: spec.password,
    database: spec.database,
    ssl: spec.ssl as ClientConfig['ssl'],
    application_name: settings.applicationName,
    connectionTimeoutMillis: settings.connectTimeoutMs,
  };
}

/** Opens one short-lived client, runs fn, always closes it. Connect failures become ConnectionError. */
export async function withClient<T>(spec: ConnectionSpec, settings: ClientSettings, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await waitingForSlots(spec, settings.connectTimeoutMs, async () => {
    const c = new Client(clientConfig(spec, settings));
    c.on('error', () => undefined); // a dead idle connection surfaces on the next query instead
    try {
      await c.connect();
      return c;
    } catch (cause) {
      await c.end().catch(() => undefined);
      throw cause;
    }
  });
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Connects with `connect`; slots taken by other clients ("too many clients", 53300) or a server
 * still starting (57P03) are waited out with backoff, up to the connect timeout, instead of
 * failing at once. Other failures become a ConnectionError at once.
 */
export async function waitingForSlots<T>(spec: ConnectionSpec, connectTimeoutMs: number, connect: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + Math.max(connectTimeoutMs, 1_000);
  for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      const connected = await connect();
      reached.add(`${spec.host}:${spec.port}`);
      return connected;
    } catch (cause) {
      const code = (cause as { code?: string }).code;
      if ((code !== '53300' && code !== '57P03') || Date.now() + delay > deadline) throw connectionError(spec, cause);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/**
 * The servers (host:port) this process has connected to. A refused connection to one of them is
 * a server restarting (worth a retry, executor/retry-policy.ts); to a server never reached, it is
 * a wrong address or a server that is down, and the command fails at once.
 */
const reached = new Set<string>();

export function connectionError(spec: ConnectionSpec, cause: unknown): ConnectionError {
  const reason = (cause as Error)?.message || String(cause);
  const code = (cause as { code?: string })?.code;
  let hint = 'Check that the server runs and the connection settings (PGHOST/PGPORT/PGUSER/PGPASSWORD or the database URL variable).';
  if (code === '28P01' || code === '28000') hint = 'Check the user name and password (PGUSER/PGPASSWORD or the URL).';
  // Reached when the existence check before it could not run (see db/missing-database.ts): it could not look for the history elsewhere either.
  if (code === '3D000')
    hint =
      "The database does not exist. Check first that it is the one your app uses (databases.<key>.database, databaseEnv, or the URL variable): the app's history may be in another database. Only if it is a new database: create it, or set createDatabase: true in the Fleet config.";
  return new ConnectionError(
    `Cannot connect to ${describeConnection(spec)}: ${reason}. ${hint}`,
    { connection: describeConnection(spec), sqlState: code, neverReached: !reached.has(`${spec.host}:${spec.port}`) },
    { cause },
  );
}

export interface ServerFacts {
  /** Which server this is, whatever the spelling of its address (db/server-identity.ts). */
  identity: string;
  maxConnections: number;
  reservedConnections: number;
  inUse: number;
  version: string;
}

/** Reads what the connection budget depends on. Also proves the server is reachable. */
export async function probeServer(spec: ConnectionSpec, settings: ClientSettings): Promise<ServerFacts> {
  return withClient(spec, settings, async (client) => {
    const { rows } = await client.query<{ max: string; reserved: string; in_use: string; version: string }>(
      `SELECT current_setting('max_connections') AS max,
              current_setting('superuser_reserved_connections') AS reserved,
              (SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE backend_type = 'client backend')::text AS in_use,
              current_setting('server_version') AS version`,
    );
    const identity = await readServerIdentity(client, spec);
    return { identity, maxConnections: Number(rows[0].max), reservedConnections: Number(rows[0].reserved), inUse: Number(rows[0].in_use), version: rows[0].version };
  });
}

/** Which server `spec` reaches (one short connection). */
export function identifyServer(spec: ConnectionSpec, settings: ClientSettings): Promise<string> {
  return withClient(spec, settings, (client) => readServerIdentity(client, spec));
}

/** Default budget: half of what is free on the server, at most `cap`, at least 1. */
export function defaultBudget(facts: ServerFacts, cap = 10): number {
  const free = facts.maxConnections - facts.reservedConnections - facts.inUse;
  return Math.max(1, Math.min(cap, Math.floor(free / 2)));
}

/**
 * Creates the database if it does not exist (connecting to `maintenanceDatabase`). Safe when two
 * runners race: "already exists" counts as success.
 */
export async function ensureDatabase(spec: ConnectionSpec, settings: ClientSettings, maintenanceDatabase: string): Promise<boolean> {
  return withClient(withDatabase(spec, maintenanceDatabase), settings, async (client) => {
    const { rows } = await client.query('SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1', [spec.database]);
    if (rows.length > 0) return false;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(spec.database)}`);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === '42P04') return false; // duplicate_database: a concurrent runner won
      if ((err as { code?: string }).code === '23505') return false; // unique violation in pg_database: same race
      throw err;
    }
  });
}

export async function databaseExists(spec: ConnectionSpec, settings: ClientSettings, maintenanceDatabase: string): Promise<boolean> {
  return withClient(withDatabase(spec, maintenanceDatabase), settings, async (client) => {
    const { rows } = await client.query('SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1', [spec.database]);
    return rows.length > 0;
  });
}
