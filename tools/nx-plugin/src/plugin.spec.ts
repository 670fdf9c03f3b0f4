import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodes, FLEET_TARGETS } from './plugin';
import { outOfSync } from './sync-executors';

describe('createNodes', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'fleet-plugin-'));
    for (const dir of ['apps/shop', 'tools/bench']) {
      mkdirSync(join(root, dir), { recursive: true });
      writeFileSync(join(root, dir, 'fleet.config.ts'), 'export default {}');
    }
    writeFileSync(join(root, 'apps/shop/project.json'), '{}');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('gives every project with a fleet.config.ts the Fleet targets, uncached, and ignores non-projects', async () => {
    const [pattern, fn] = createNodes;
    expect(pattern).toBe('**/fleet.config.ts');
    const results = await fn(['apps/shop/fleet.config.ts', 'tools/bench/fleet.config.ts'], {}, { workspaceRoot: root, nxJsonConfiguration: {} });
    const byFile = Object.fromEntries(results);
    const shop = byFile['apps/shop/fleet.config.ts'].projects!['apps/shop'];
    expect(Object.keys(shop.targets!)).toEqual([...FLEET_TARGETS]);
    expect(FLEET_TARGETS).toEqual(expect.arrayContaining(['migrate', 'revert', 'status', 'lint', 'cadence-check', 'tenant-create']));
    expect(FLEET_TARGETS).not.toContain('shared-tables'); // CLI only
    expect(shop.targets!['cadence-check']).toMatchObject({ cache: true, inputs: expect.arrayContaining(['{workspaceRoot}/fleet.cadence.json', '^production']) });
    expect(shop.targets!.migrate).toMatchObject({ executor: '@fleet/nx-plugin:migrate', cache: false, options: { config: 'apps/shop/fleet.config.ts' } });
    expect(byFile['tools/bench/fleet.config.ts'].projects).toBeUndefined();
  });

  it('prefixes target names when asked', async () => {
    const [, fn] = createNodes;
    const results = await fn(['apps/shop/fleet.config.ts'], { targetPrefix: 'db-' }, { workspaceRoot: root, nxJsonConfiguration: {} });
    expect(Object.keys(results[0][1].projects!['apps/shop'].targets!)[0]).toBe('db-migrate');
  });

  it('never shadows a target the project declares (ESLint`s lint, a package.json script): Fleet`s becomes fleet-<name>', async () => {
    writeFileSync(join(root, 'apps/shop/project.json'), JSON.stringify({ targets: { lint: { executor: '@nx/eslint:lint' } } }));
    writeFileSync(join(root, 'apps/shop/package.json'), JSON.stringify({ name: '@acme/shop', scripts: { status: 'git status' } }));
    const [, fn] = createNodes;
    const results = await fn(['apps/shop/fleet.config.ts'], { targetNames: { verify: 'db-verify' } }, { workspaceRoot: root, nxJsonConfiguration: {} });
    const targets = results[0][1].projects!['apps/shop'].targets!;
    expect(targets).not.toHaveProperty('lint');
    expect(targets).not.toHaveProperty('status');
    expect(targets['fleet-lint']).toMatchObject({ executor: '@fleet/nx-plugin:lint' });
    expect(targets['fleet-status']).toMatchObject({ executor: '@fleet/nx-plugin:status' });
    expect(targets['db-verify']).toMatchObject({ executor: '@fleet/nx-plugin:verify' });
    expect(targets.migrate).toMatchObject({ executor: '@fleet/nx-plugin:migrate' });
  });
});

describe('executors.json', () => {
  it('is generated from the verb registry, and the files on disk are in sync (npm run sync:executors)', () => {
    expect(outOfSync()).toEqual([]);
  });

  const executors = require('../executors.json').executors as Record<string, { schema: string; implementation: string }>;

  it('has an executor for every inferred target, and every schema rejects unknown options (a typo is an error, never ignored)', () => {
    expect(Object.keys(executors).sort()).toEqual([...FLEET_TARGETS].sort());
    for (const [name, entry] of Object.entries(executors)) {
      const schema = require(join(__dirname, '..', entry.schema));
      expect([name, schema.additionalProperties]).toEqual([name, false]);
    }
  });
});
