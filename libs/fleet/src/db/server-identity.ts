/**
 * Which server a connection reaches, asked of the server itself: `localhost`, `127.0.0.1`, the
 * host's name, a socket directory, the default port spelled or not all reach one server, and one
 * server is one connection budget (and one set of queue slots).
 *
 * - `pg_control_system().system_identifier`: set by initdb, unchanged by restarts. PUBLIC may run
 *   it by default (PostgreSQL 9.6+); a provider may revoke it or make it fail.
 * - Otherwise `pg_postmaster_start_time()` (microseconds) and the `port` setting, which every role
 *   may read: unique per running server, but new after a restart.
 *   (`data_directory` and `unix_socket_directories` need pg_read_all_settings; `inet_server_addr()`
 *   is the address this connection came in on, so it differs by spelling; `cluster_name` is often
 *   empty or the same on two servers.)
 * A streaming standby shares its primary's system identifier; Fleet migrates primaries only.
 */
import type { Client } from 'pg';
import { ConnectionError } from '../errors';
import { describeConnection, type ConnectionSpec } from './connection-spec';

/** The server's identity, read on an open client. Throws a ConnectionError when it cannot be read. */
export async function readServerIdentity(client: Client, spec: ConnectionSpec): Promise<string> {
  try {
    const { rows } = await client.query<{ can: boolean; port: string; started: string }>(
      `SELECT pg_catalog.has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE') AS can,
              pg_catalog.current_setting('port') AS port,
              pg_catalog.to_char(pg_catalog.pg_postmaster_start_time() AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISSUS') AS started`,
    );
    const [{ can, port, started }] = rows;
    // Some hosted servers grant it and fail it ("not supported"): the fallback then, too.
    const control = can ? await client.query<{ id: string | null }>('SELECT system_identifier::text AS id FROM pg_catalog.pg_control_system()').catch(() => null) : null;
    const id = control?.rows[0]?.id;
    return id && id !== '0' ? `pg-${id}` : `pg-started-${started}-port-${port}`;
  } catch (cause) {
    throw new ConnectionError(
      `Cannot tell which server ${describeConnection(spec)} is (${(cause as Error)?.message ?? String(cause)}): Fleet reads pg_control_system() or, failing that, ` +
        'pg_postmaster_start_time() and the port setting, to share one connection budget between spellings of one server. Connect Fleet to the server itself (not through a proxy that hides these), or grant EXECUTE on pg_catalog.pg_control_system() to its role.',
      { connection: describeConnection(spec) },
      { cause },
    );
  }
}
