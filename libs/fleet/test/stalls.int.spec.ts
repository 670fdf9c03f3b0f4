/**
 * Bad days on the network and the server, never a silent hang: a lock held by someone else is
 * named and waited out in bounded tries; a frozen TCP link fails its target with a clear message
 * while the rest go on; connection slots taken by others are waited for.
 */
import { createServer, Server, Socket } from 'node:net';
import { Client } from 'pg';
import { migrate } from '../src/commands/run-commands';
import { FixtureProject, tenantFleetConfig, WORKSPACE_ROOT, databaseUrl, dropDatabase, query, testServer, uniqueName, waitForBackend } from '../src/testing';

describe('stalls and waits', () => {
  let project: FixtureProject;
  let db: string;
  const held: Client[] = [];
  beforeEach(() => {
    project = new FixtureProject('stalls');
    db = uniqueName('fleet_t_stall');
  });
  afterEach(async () => {
    for (const c of held.splice(0)) await c.end().catch(() => undefined);
    project.remove();
    await dropDatabase(db);
  });

  /** A schema-per-tenant fleet (t1..t3) whose tenants have `users`; `next` is the migration under test. */
  async function fleet(url: string, dbOptions: Record<string, unknown>) {
    project.writeConfig(tenantFleetConfig(dbOptions, { discover: { list: ['t1', 't2', 't3'] }, registry: undefined }));
    project.writeMigration('global', { name: 'Init1000', up: ['SELECT 1'] });
    project.writeMigration('tenant', { name: 'CreateUsers1000', up: ['CREATE TABLE users (id int)'] });
    const opts = { config: project.path('fleet.config.ts'), workspaceRoot: WORKSPACE_ROOT, env: { FX_MAIN_URL: url } };
    expect((await migrate(opts)).ok).toBe(true);
    return opts;
  }
  const openClient = async (database: string) => {
    const c = new Client({ ...testServer(), database });
    await c.connect();
    held.push(c);
    return c;
  };
  const collect = () => {
    const notices: string[] = [];
    return { notices, onEvent: (e: { type: string; message?: string }) => void (e.type === 'notice' && notices.push(e.message!)) };
  };

  it('a lock held by an idle transaction: the wait is named with the holder, retried with backoff, and the migration lands once it is released', async () => {
    const opts = await fleet(databaseUrl(db), { lockTimeoutMs: 800, lockRetries: 4 });
    const blocker = await openClient(db);
    await blocker.query('BEGIN');
    await blocker.query('SELECT count(*) FROM tenant_t2.users'); // now idle in transaction, holding ACCESS SHARE
    const blockerPid = (blocker as unknown as { processID: number }).processID;
    project.writeMigration('tenant', { name: 'AddNickname2000', up: ['ALTER TABLE users ADD nickname text'] });
    const seen = collect();
    const running = migrate({ ...opts, ...seen, heartbeatMs: 200 });
    // Released once t2's ALTER has waited past its first lock_timeout (whatever the machine's load).
    await waitForBackend(db, 'ADD nickname', 30_000);
    await new Promise((r) => setTimeout(r, 1_500));
    await blocker.query('COMMIT');
    const report = await running;
    expect(report.results.map((r) => [r.target, r.outcome])).toEqual([
      ['fx/main', 'unchanged'],
      ['fx/main/t1', 'changed'],
      ['fx/main/t2', 'changed'],
      ['fx/main/t3', 'changed'],
    ]);
    const text = seen.notices.join('\n');
    // Retried (requeued) with a longer lock_timeout each time (transient.int.spec.ts covers the policy).
    const t2 = report.results.find((r) => r.target === 'fx/main/t2')!;
    expect(t2.attempts![0]).toMatchObject({ attempt: 1, ok: false, migration: 'AddNickname2000', sqlState: '55P03', lockTimeoutMs: 800 });
    expect(t2.attempts![t2.attempts!.length - 1]).toMatchObject({ ok: true });
    expect(text).toMatch(new RegExp(`fx/main/t2: waiting \\d+ s for a lock held by pid ${blockerPid} \\(idle in transaction: SELECT count\\(\\*\\) FROM tenant_t2.users\\)`));
  });

  it('a lock never released: the target fails after its bounded tries while the others land; the app is never blocked longer than lock_timeout at a time', async () => {
    const opts = await fleet(databaseUrl(db), { lockTimeoutMs: 300, lockRetries: 1 });
    const blocker = await openClient(db);
    await blocker.query('BEGIN');
    await blocker.query('SELECT count(*) FROM tenant_t2.users');
    project.writeMigration('tenant', { name: 'AddNickname2000', up: ['ALTER TABLE users ADD nickname text'] });
    const started = Date.now();
    const report = await migrate(opts);
    expect(Date.now() - started).toBeLessThan(8_000);
    const t2 = report.results.find((r) => r.target === 'fx/main/t2')!;
    expect(t2.outcome).toBe('failed');
    expect(String(t2.failed?.error.message)).toMatch(/lock timeout/);
    expect(report.results.filter((r) => r.outcome === 'changed').map((r) => r.target)).toEqual(['fx/main/t1', 'fx/main/t3']);
  });

  it('a frozen network link: that target fails with a clear message within the stall timeout, the others go on, the server holds no lock for it', async () => {
    const proxy = await FreezableProxy.start(testServer().host, testServer().port);
    try {
      const url = databaseUrl(db).replace(`:${testServer().port}/`, `:${proxy.port}/`);
      const opts = await fleet(url, { idleInTransactionTimeoutMs: 2_000 });
      project.writeMigration('tenant', {
        name: 'Backfill2000',
        up: ['ALTER TABLE users ADD nickname text', "SELECT pg_sleep(CASE WHEN current_schema() = 'tenant_t2' THEN 1 ELSE 0 END)", 'UPDATE users SET nickname = id::text'],
      });
      const seen = collect();
      const running = migrate({ ...opts, ...seen, concurrency: 1, heartbeatMs: 250, stallTimeoutMs: 1_500 });
      await waitForBackend(db, "current_schema() = 'tenant_t2'", 20_000);
      proxy.freeze(); // every byte of the connections open now stops, both ways; new connections pass
      const started = Date.now();
      const report = await running;
      expect(Date.now() - started).toBeLessThan(10_000);
      const t2 = report.results.find((r) => r.target === 'fx/main/t2')!;
      expect(t2.outcome).toBe('failed');
      expect(String(t2.failed?.error.message)).toMatch(/network between Fleet and the server stalled/);
      expect(report.results.filter((r) => r.outcome === 'changed').map((r) => r.target)).toEqual(['fx/main/t1', 'fx/main/t3']);
      // The server ends the abandoned session (idle_in_transaction_session_timeout): its locks go with it.
      await new Promise((r) => setTimeout(r, 2_500));
      expect(await query('postgres', `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND state LIKE 'idle in transaction%'`, [db])).toEqual([{ n: 0 }]);
      expect(await query(db, `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'tenant_t2' AND column_name = 'nickname'`)).toEqual([{ n: 0 }]);
    } finally {
      await proxy.close();
    }
  });

  it('connection slots taken by other clients: the run waits for a free slot instead of failing', async () => {
    // Connection limits bind ordinary roles only (a superuser is exempt): migrate as one.
    const role = uniqueName('fleet_t_role');
    // With a password: the embedded server (FLEET_TEST_EMBEDDED=1) checks them; a trust server ignores it.
    await query('postgres', `CREATE ROLE "${role}" LOGIN CREATEDB PASSWORD 'fleet-test'`);
    try {
      const url = databaseUrl(db).replace(/\/\/[^@/]+@/, `//${role}:fleet-test@`);
      const opts = await fleet(url, {});
      await query('postgres', `ALTER DATABASE "${db}" CONNECTION LIMIT 2`);
      const asRole = async () => {
        const c = new Client({ ...testServer(), user: role, password: 'fleet-test', database: db });
        await c.connect();
        held.push(c);
        return c;
      };
      const others = [await asRole(), await asRole()];
      await expect(asRole()).rejects.toThrow(/too many connections/); // the limit is real
      project.writeMigration('tenant', { name: 'AddNickname2000', up: ['ALTER TABLE users ADD nickname text'] });
      setTimeout(() => void others[0].end(), 1_500);
      const started = Date.now();
      const report = await migrate({ ...opts, concurrency: 1, connectTimeoutMs: 10_000, heartbeatMs: 60_000 });
      expect(report.results.map((r) => [r.outcome, r.failed?.error.message ?? null])).toEqual([
        ['unchanged', null],
        ['changed', null],
        ['changed', null],
        ['changed', null],
      ]);
      expect(Date.now() - started).toBeGreaterThan(1_000); // it did wait
    } finally {
      for (const c of held.splice(0)) await c.end().catch(() => undefined);
      await dropDatabase(db);
      await query('postgres', `DROP ROLE IF EXISTS "${role}"`);
    }
  });
});

/** A TCP proxy on 127.0.0.1 whose open connections can be frozen (a stalled network, on loopback only). */
class FreezableProxy {
  private readonly pairs: Array<[Socket, Socket]> = [];
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static start(host: string, port: number): Promise<FreezableProxy> {
    const pairs: Array<[Socket, Socket]> = [];
    const server = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(port, host);
      client.pipe(upstream);
      upstream.pipe(client);
      const onError = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', onError);
      upstream.on('error', onError);
      pairs.push([client, upstream]);
    });
    return new Promise((resolve) =>
      server.listen(0, '127.0.0.1', () => {
        const proxy = new FreezableProxy(server, (server.address() as { port: number }).port);
        (proxy as unknown as { pairs: Array<[Socket, Socket]> }).pairs = pairs;
        resolve(proxy);
      }),
    );
  }

  freeze(): void {
    for (const [client, upstream] of this.pairs.splice(0)) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
      // Keep them open (a stall, not a reset) until the test ends.
      this.frozen.push(client, upstream);
    }
  }

  private readonly frozen: Socket[] = [];

  async close(): Promise<void> {
    for (const s of this.frozen) s.destroy();
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    await new Promise((r) => this.server.close(r));
  }
}
