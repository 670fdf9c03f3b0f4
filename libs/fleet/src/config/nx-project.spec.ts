import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findConfigFile } from './load-config';
import { commandsFor, targetNameFor } from './nx-project';

describe('apps by Nx project name (no database)', () => {
  let root: string;
  const write = (path: string, text: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'fleet-nx-project-'));
    // What create-nx-workspace writes: apps/api with package.json "@acme/api", and a lint script.
    write('apps/api/package.json', JSON.stringify({ name: '@acme/api', scripts: { lint: 'eslint .' } }));
    write('apps/api/fleet.config.ts', 'export default {}');
    write('services/billing/project.json', JSON.stringify({ name: 'billing-service' }));
    write('services/billing/fleet.config.ts', 'export default {}');
    write('node_modules/x/fleet.config.ts', 'export default {}');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('--app takes the folder, the project name and its unscoped form', () => {
    expect(findConfigFile(root, 'api', undefined)).toBe(join(root, 'apps/api/fleet.config.ts'));
    expect(findConfigFile(root, '@acme/api', undefined)).toBe(join(root, 'apps/api/fleet.config.ts'));
    expect(findConfigFile(root, 'billing-service', undefined)).toBe(join(root, 'services/billing/fleet.config.ts'));
    expect(findConfigFile(root, 'billing', undefined)).toBe(join(root, 'services/billing/fleet.config.ts'));
    expect(() => findConfigFile(root, 'x', undefined)).toThrow(/No Fleet config for app "x".*Apps with a Fleet config here: @acme\/api, billing-service/);
    expect(() => findConfigFile(root, undefined, undefined)).toThrow(/Apps with a Fleet config here: @acme\/api, billing-service\./);
  });

  it('two projects that answer to one name: an error naming both', () => {
    write('libs/api/project.json', JSON.stringify({ name: '@other/api' }));
    write('libs/api/fleet.config.ts', 'export default {}');
    rmSync(join(root, 'apps/api/fleet.config.ts'));
    write('apps/api-v2/package.json', JSON.stringify({ name: '@acme/api' }));
    write('apps/api-v2/fleet.config.ts', 'export default {}');
    expect(() => findConfigFile(root, 'api', undefined)).toThrow(
      /--app api names several projects with a Fleet config \(apps\/api-v2\/fleet.config.ts, libs\/api\/fleet.config.ts\)/,
    );
    expect(findConfigFile(root, '@acme/api', undefined)).toBe(join(root, 'apps/api-v2/fleet.config.ts'));
  });

  it('hints name the project and the target as Nx has them, or the CLI alone without the plugin', () => {
    const config = join(root, 'apps/api/fleet.config.ts');
    expect(commandsFor('migrate', config, root, 'api')).toEqual({ nx: null, cli: 'fleet migrate --app api' });
    write('nx.json', JSON.stringify({ plugins: [{ plugin: '@fleet/nx-plugin', options: { targetPrefix: 'db-' } }] }));
    expect(commandsFor('migrate', config, root, 'api')).toEqual({ nx: 'nx run @acme/api:db-migrate', cli: 'fleet migrate --app api' });
    write('nx.json', JSON.stringify({ plugins: ['@fleet/nx-plugin'] }));
    expect(commandsFor('lint', config, root, 'api').nx).toBe('nx run @acme/api:fleet-lint'); // the project's own lint script stays
    expect(commandsFor('tenant-create', join(root, 'services/billing/fleet.config.ts'), root, 'billing').nx).toBe('nx run billing-service:tenant-create');
  });

  it('a taken name gets the fleet- prefix, and an explicit name wins', () => {
    expect(targetNameFor('lint', {}, new Set(['lint']))).toBe('fleet-lint');
    expect(targetNameFor('lint', {}, new Set(['lint', 'fleet-lint']))).toBe('fleet-lint-2');
    expect(targetNameFor('lint', { targetNames: { lint: 'migrations-lint' } }, new Set(['lint']))).toBe('migrations-lint');
    expect(targetNameFor('status', { targetPrefix: 'db-' }, new Set())).toBe('db-status');
  });
});

describe('CLI words of a verb', () => {
  it('two words only for the groups', () => {
    expect(commandsFor('cadence-check', '/nowhere/fleet.config.ts', '/nowhere', 'x').cli).toBe('fleet cadence-check --config fleet.config.ts');
    expect(commandsFor('tenant-create', '/nowhere/fleet.config.ts', '/nowhere', 'x').cli).toMatch(/^fleet tenant create /);
    expect(commandsFor('extensions-relocate', '/nowhere/fleet.config.ts', '/nowhere', 'x').cli).toMatch(/^fleet extensions relocate /);
  });
});
