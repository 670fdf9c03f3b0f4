import type { LoadedConfig, LoadedDatabase } from '../config/load-config';
import type { ConnectionSpec } from '../db/connection-spec';
import { parseConnectionUrl } from '../db/connection-spec';
import { copyTarget } from '../targets/target';
import { makeTarget, nameShards, shardUrls } from './targets';

const db = { key: 'events', database: 'events', shards: ['events'], shardUrlsEnv: 'FX_EVENTS_SHARD_URLS' } as unknown as LoadedDatabase;
/** Servers by host: `a` and `alias-of-a` are one server, `b` another. */
const serverOf = async (spec: ConnectionSpec) => (spec.host === 'b' ? 'server-b' : 'server-a');
const names = async (urls: string[]) => (await nameShards(db, urls.map(parseConnectionUrl), serverOf)).map((s) => s.name);

describe('shard names in target ids', () => {
  it('are the database names where each name is on one server (ids unchanged)', async () => {
    expect(await names(['postgres://u@a/s0', 'postgres://u@b/s1'])).toEqual(['s0', 's1']);
  });

  it('carry host and port where servers share a database name, so two servers never share an id', async () => {
    expect(await names(['postgres://u@a/s0', 'postgres://u@b:5433/s0', 'postgres://u@a/s1'])).toEqual(['s0@a:5432', 's0@b:5433', 's1']);
    expect(await names(['postgres://u@/s0?host=/var/run/postgresql', 'postgres://u@b/s0'])).toEqual(['s0@%2Fvar%2Frun%2Fpostgresql:5432', 's0@b:5432']);
  });

  it('refuse one database listed twice on one server under two spellings', async () => {
    await expect(names(['postgres://u@a/s0', 'postgres://u@alias-of-a:5432/s0'])).rejects.toThrow(/FX_EVENTS_SHARD_URLS lists database s0 twice on one server/);
  });

  it('come from FX_..._SHARD_URLS only when the database is sharded', () => {
    expect(shardUrls(db, { FX_EVENTS_SHARD_URLS: 'postgres://u@a/s0, postgres://u@b/s1' })?.map((s) => s.host)).toEqual(['a', 'b']);
    expect(shardUrls({ ...db, shards: null }, { FX_EVENTS_SHARD_URLS: 'postgres://u@a/s0' })).toBeNull();
    expect(shardUrls(db, {})).toBeNull();
  });
});

describe('targets of one database', () => {
  const config = { app: 'app' } as unknown as LoadedConfig;
  const main = { key: 'main', tenants: {}, adoptTypeormTable: 'migrations', transactionMode: 'all', lockWaitMs: 1000, retries: { count: 1 } } as unknown as LoadedDatabase;
  const connection = parseConnectionUrl('postgres://u@a/app');
  const migrations: never[] = [];
  const sharedSearchPath: readonly string[] = Object.freeze([]);
  const shape = (tenant: string) => ({
    connection,
    schema: `tenant_${tenant}`,
    sharedSearchPath,
    extensions: null,
    versionTable: 'fleet_migrations',
    indexSchema: 'public',
    migrations,
    tenant,
  });

  it('share one object for what their track has in common; each owns only who and where it is', () => {
    const [a, b] = ['a', 'b'].map((t) => makeTarget(config, main, shape(t), {}));
    expect(Object.keys(a)).toEqual(['id', 'info', 'connection']);
    expect(Object.getPrototypeOf(a)).toBe(Object.getPrototypeOf(b));
    expect(a).toMatchObject({
      id: 'app/main/a',
      versionTable: 'fleet_migrations',
      indexSchema: 'public',
      adoptTypeormTable: 'migrations',
      phase: 1,
      registration: null,
      createDatabase: null,
    });
    expect(b.info).toMatchObject({ id: 'app/main/b', schema: 'tenant_b', tenant: 'b', track: 'tenant' });
    expect(a.settings).toBe(b.settings);
    // Another version table: another shared object, never a change to the first.
    const c = makeTarget(config, main, { ...shape('c'), versionTable: 'other' }, {});
    expect(Object.getPrototypeOf(c)).not.toBe(Object.getPrototypeOf(a));
    expect(a.versionTable).toBe('fleet_migrations');
  });

  it('are copied with what they share (a spread would drop it), a change staying on the copy', () => {
    const a = makeTarget(config, main, shape('a'), {});
    const copy = copyTarget(a, { id: 'app/main/a (scratch)', adoptTypeormTable: null });
    expect(copy).toMatchObject({ id: 'app/main/a (scratch)', info: a.info, connection, versionTable: 'fleet_migrations', migrations, adoptTypeormTable: null, phase: 1 });
    expect(a.adoptTypeormTable).toBe('migrations');
    expect(makeTarget(config, main, shape('b'), {}).adoptTypeormTable).toBe('migrations');
  });
});
