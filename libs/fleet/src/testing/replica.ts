/**
 * A streaming replica of a test's (or a bench's) own: a primary (wal_level=replica) and a standby
 * made with pg_basebackup -R, on free ports, run as the `postgres` OS user when the caller is root
 * (the server refuses to run as root). Needs PostgreSQL's server binaries: without them it throws
 * saying what to install.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './embedded-server';

/** A primary and a streaming standby of the test's own, run as the `postgres` OS user. */
export interface ReplicaPair {
  dir: string;
  primaryPort: number;
  standbyPort: number;
  stop(): Promise<void>;
}

export const PG_BIN_DIRS = ['/usr/lib/postgresql/15/bin', ...listDirs('/usr/lib/postgresql').map((v) => `/usr/lib/postgresql/${v}/bin`)];

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir).sort((a, b) => Number(b) - Number(a));
  } catch {
    return [];
  }
}

/** Where initdb, pg_ctl and pg_basebackup are (FLEET_PG_BIN first), or null. */
function serverBinaries(): { bin: string; basebackup: string } | null {
  const dirs = process.env.FLEET_PG_BIN ? [process.env.FLEET_PG_BIN] : PG_BIN_DIRS;
  for (const bin of dirs) {
    if (!['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(bin, b)))) continue;
    const basebackup = [join(bin, 'pg_basebackup'), '/usr/bin/pg_basebackup'].find((p) => existsSync(p));
    if (basebackup) return { bin, basebackup };
  }
  return null;
}

/** Runs a PostgreSQL tool as the `postgres` OS user (the server refuses to run as root). */
function asPostgres(cmd: string, args: string[]): string {
  const root = process.getuid?.() === 0;
  return execFileSync(root ? 'runuser' : cmd, root ? ['-u', 'postgres', '--', cmd, ...args] : args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function startReplicaPair(): Promise<ReplicaPair> {
  const found = serverBinaries();
  if (!found) {
    throw new Error(
      'The replica test needs PostgreSQL server binaries (initdb, pg_ctl, postgres) and pg_basebackup: none found in ' +
        `${PG_BIN_DIRS.join(', ')}. Install them (Debian/Ubuntu: apt-get install postgresql-15), or point FLEET_PG_BIN at their folder, ` +
        'or set FLEET_TEST_NO_REPLICA=1 to skip this test.',
    );
  }
  const { bin, basebackup } = found;
  const dir = mkdtempSync('/tmp/fleet-replica-');
  if (process.getuid?.() === 0) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()), 0);
  const primary = join(dir, 'primary');
  const standby = join(dir, 'standby');
  const primaryPort = await freePort();
  let standbyPort = await freePort();
  while (standbyPort === primaryPort) standbyPort = await freePort();
  const started: string[] = [];
  const stop = async () => {
    for (const data of started.reverse()) {
      try {
        asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already down
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    asPostgres(join(bin, 'initdb'), ['-D', primary, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    const common = [`listen_addresses = '127.0.0.1'`, `unix_socket_directories = '${dir}'`, 'fsync = off', 'shared_buffers = 16MB', 'max_connections = 40'];
    appendFileSync(join(primary, 'postgresql.conf'), [...common, `port = ${primaryPort}`, 'wal_level = replica', 'max_wal_senders = 4', ''].join('\n'));
    appendFileSync(join(primary, 'pg_hba.conf'), 'host replication all 127.0.0.1/32 trust\n');
    asPostgres(join(bin, 'pg_ctl'), ['-D', primary, '-l', join(dir, 'primary.log'), '-w', 'start']);
    started.push(primary);
    asPostgres(basebackup, ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', standby, '-R', '-X', 'stream']);
    // The standby reports its positions every second (default 10 s), so that the primary sees its lag move.
    appendFileSync(join(standby, 'postgresql.conf'), [`port = ${standbyPort}`, 'hot_standby = on', 'wal_receiver_status_interval = 1s', ''].join('\n'));
    asPostgres(join(bin, 'pg_ctl'), ['-D', standby, '-l', join(dir, 'standby.log'), '-w', 'start']);
    started.push(standby);
    const pair = { dir, primaryPort, standbyPort, stop };
    const deadline = Date.now() + 20_000;
    while ((await queryOn(pair.primaryPort, "SELECT count(*)::int AS n FROM pg_stat_replication WHERE state = 'streaming'"))[0].n < 1) {
      if (Date.now() > deadline) throw new Error('the standby did not start streaming within 20 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    return pair;
  } catch (err) {
    await stop();
    throw err;
  }
}

export async function queryOn<T = Record<string, number>>(port: number, sql: string, database = 'postgres'): Promise<T[]> {
  const c = new Client({ host: '127.0.0.1', port, user: 'postgres', database });
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}
