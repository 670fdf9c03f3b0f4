import type { Client } from 'pg';
import { ConnectionError } from '../errors';
import { readServerIdentity } from './server-identity';

const spec = { host: 'db.example', port: 5432, user: 'app', database: 'app' };
/** A client answering each query with the next of `answers` (an Error is thrown). */
function client(...answers: Array<Array<Record<string, unknown>> | Error>): Client {
  return {
    query: async () => {
      const next = answers.shift();
      if (next instanceof Error) throw next;
      return { rows: next };
    },
  } as unknown as Client;
}

describe('server identity', () => {
  it('is the system identifier where the role may read it', async () => {
    expect(await readServerIdentity(client([{ can: true, port: '5432', started: 'T' }], [{ id: '7715443744476870784' }]), spec)).toBe('pg-7715443744476870784');
  });

  it('is the start time and port where it may not', async () => {
    expect(await readServerIdentity(client([{ can: false, port: '5433', started: '20261204T134214261761' }]), spec)).toBe('pg-started-20261204T134214261761-port-5433');
  });

  it('falls back when the server grants pg_control_system() but fails it', async () => {
    expect(await readServerIdentity(client([{ can: true, port: '5432', started: 'T1' }], new Error('function not supported')), spec)).toBe('pg-started-T1-port-5432');
  });

  it('that cannot be read is a clear error naming the server and the fix', async () => {
    const err = await readServerIdentity(client(new Error('function pg_postmaster_start_time() does not exist')), spec).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toMatch(
      /Cannot tell which server postgres:\/\/app@db\.example:5432\/app is \(function pg_postmaster_start_time\(\) does not exist\).*grant EXECUTE on pg_catalog\.pg_control_system\(\)/,
    );
  });
});
