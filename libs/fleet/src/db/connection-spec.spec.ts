import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConnectionUrl } from './connection-spec';

describe('connection URLs, read as libpq reads them (no database)', () => {
  it('a socket directory in ?host= is the host, not 127.0.0.1', () => {
    expect(parseConnectionUrl('postgres://app@/app1_users?host=/var/run/postgresql')).toMatchObject({
      host: '/var/run/postgresql',
      port: 5432,
      user: 'app',
      database: 'app1_users',
    });
    expect(parseConnectionUrl('postgresql://u:p%40ss@db.internal:6543/x')).toMatchObject({ host: 'db.internal', port: 6543, user: 'u', password: 'p@ss', database: 'x' });
  });

  it('sslmode: require encrypts without verifying; verify-ca verifies the chain only; verify-full the chain and the host', () => {
    expect(parseConnectionUrl('postgres://u@h/db?sslmode=disable').ssl).toBeUndefined();
    expect(parseConnectionUrl('postgres://u@h/db?sslmode=require').ssl).toMatchObject({ rejectUnauthorized: false });
    const verifyFull = parseConnectionUrl('postgres://u@h/db?sslmode=verify-full').ssl as Record<string, unknown>;
    expect(verifyFull).toMatchObject({ rejectUnauthorized: true });
    expect(verifyFull.checkServerIdentity).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), 'fleet-ssl-'));
    try {
      writeFileSync(join(dir, 'root.crt'), 'ROOT CERT');
      writeFileSync(join(dir, 'client.crt'), 'CLIENT CERT');
      writeFileSync(join(dir, 'client.key'), 'CLIENT KEY');
      const url = `postgres://u@h/db?sslmode=verify-ca&sslrootcert=${dir}/root.crt&sslcert=${dir}/client.crt&sslkey=${dir}/client.key`;
      const verifyCa = parseConnectionUrl(url).ssl as Record<string, unknown>;
      expect(verifyCa).toMatchObject({ rejectUnauthorized: true, ca: 'ROOT CERT', cert: 'CLIENT CERT', key: 'CLIENT KEY' });
      expect(typeof verifyCa.checkServerIdentity).toBe('function'); // the chain is verified, the host name is not
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bad URLs say what is wrong', () => {
    expect(() => parseConnectionUrl('mysql://h/db')).toThrow('expected postgres:// or postgresql://, got mysql://');
    expect(() => parseConnectionUrl('postgres://h')).toThrow(/names no database/);
    expect(() => parseConnectionUrl('postgres://u@h/db?sslmode=verify-ca&sslrootcert=/nonexistent/root.crt')).toThrow(/cannot use it: .*ENOENT/);
    expect(() => parseConnectionUrl('postgres://u@h/db?sslmode=verify-ca')).toThrow(/verify-ca requires specifying a CA with sslrootcert/);
  });
});
