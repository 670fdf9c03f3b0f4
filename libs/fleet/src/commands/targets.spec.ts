import type { LoadedDatabase } from '../config/load-config';
import type { ConnectionSpec } from '../db/connection-spec';
import { parseConnectionUrl } from '../db/connection-spec';
import { nameShards, shardUrls } from './targets';

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
