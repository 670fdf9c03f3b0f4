import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pluginPath } from './plugin-files';

const WORKSPACE_ROOT = resolve(__dirname, '..', '..', '..', '..', '..');
const PLUGIN_ROOT = join(WORKSPACE_ROOT, 'tools', 'nx-plugin');

/** Node 22.18+ and 24 strip TypeScript types themselves; .ci/run runs this file on Node 24 too. */
const nodeStripsTypes = Boolean((process.features as { typescript?: unknown }).typescript);

describe('pluginPath: a generator finds its templates from the plugin root', () => {
  it('as CommonJS (the published plugin, and Jest here): from __dirname', () => {
    expect(pluginPath(WORKSPACE_ROOT, 'generators.json')).toBe(join(PLUGIN_ROOT, 'generators.json'));
    expect(existsSync(pluginPath(WORKSPACE_ROOT, 'src', 'generators', 'app', 'files'))).toBe(true);
  });

  // Loaded by Node itself from the TypeScript source, as Nx may load the in-repo plugin: an ES
  // module, without __dirname. Runs where Node strips types (the Node 24 step of .ci/run).
  (nodeStripsTypes ? it : it.skip)('as an ES module stripped by Node itself: from the workspace resolving @fleet/nx-plugin', () => {
    const source = join(__dirname, 'plugin-files.ts');
    const out = execFileSync(
      process.execPath,
      [
        '--no-warnings',
        '--input-type=module',
        '-e',
        `import { pluginPath } from ${JSON.stringify(source)}; process.stdout.write(pluginPath(process.argv[1], 'generators.json'));`,
        WORKSPACE_ROOT,
      ],
      { encoding: 'utf8' },
    );
    expect(out).toBe(join(PLUGIN_ROOT, 'generators.json'));
  });
});
