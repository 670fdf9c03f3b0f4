/** Connection URLs as a psql user writes them, end to end. */
import { existsSync } from 'node:fs';
import { migrate } from '../src/commands/run-commands';
import { query, testServer, useFixture } from '../src/testing';

const SOCKET_DIR = '/var/run/postgresql';
const socketServed = existsSync(`${SOCKET_DIR}/.s.PGSQL.${testServer().port}`);

describe('connection URLs', () => {
  const fx = useFixture('conn');

  // The live server of these machines listens on a Unix socket too; the embedded one does not.
  (socketServed ? it : it.skip)('migrates through a Unix socket named by ?host= (as psql does), not through 127.0.0.1', async () => {
    fx.project.writeMigration('migrations', { name: 'CreateThings1000', up: ['CREATE TABLE things (id int)'] });
    fx.project.writeConfig({ app: 'fx', databases: { main: { migrations: './migrations', createDatabase: true, urlEnv: 'FX_SOCKET_URL' } } });
    const url = `postgres://${encodeURIComponent(testServer().user)}@/${fx.db}?host=${SOCKET_DIR}&port=${testServer().port}`;
    const report = await migrate({ ...fx.options(), env: { FX_SOCKET_URL: url } });
    expect(report.results.map((r) => [r.outcome, r.failed?.error.message ?? null])).toEqual([['changed', null]]);
    expect(await query(fx.db, 'SELECT count(*)::int AS n FROM things')).toEqual([{ n: 0 }]);
    // The socket is really what is used: a port with no socket fails on that socket's path (the old
    // parser fell back to 127.0.0.1).
    const wrongPort = url.replace(`port=${testServer().port}`, 'port=1');
    await expect(migrate({ ...fx.options(), env: { FX_SOCKET_URL: wrongPort } })).rejects.toThrow(/\/var\/run\/postgresql\/\.s\.PGSQL\.1/);
  });
});
