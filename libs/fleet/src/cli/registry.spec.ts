import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

describe('verb registry', () => {
  // `fleet --help` lists every verb: it must not load the engine (TypeORM, pg, the SQL parser),
  // or the command a person types most waits for all of it. A helper module dropped into verbs/
  // with an eager engine import once tripled its start-up.
  it('lists the verbs without loading the engine', () => {
    const root = join(__dirname, '..', '..', '..', '..');
    const script = `require('./libs/fleet/src/cli/main').main(['--help']).then(() => {
  const loaded = Object.keys(require.cache).filter((k) => /node_modules\\/(typeorm|pg|libpg-query|jiti)\\/|src\\/(commands|executor|db)\\//.test(k));
  process.stderr.write(JSON.stringify(loaded));
});`;
    const r = spawnSync(process.execPath, ['-r', '@swc-node/register', '-e', script], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, SWC_NODE_PROJECT: join(root, 'tsconfig.base.json') },
      encoding: 'utf8',
    });
    expect(r.stdout).toContain('tenant create <id>');
    expect(JSON.parse(r.stderr)).toEqual([]);
  }, 60_000);
});
