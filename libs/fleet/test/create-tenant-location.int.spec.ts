/**
 * `createTenant()` called from an app's code finds the app's config from that code's module (or
 * an explicit path), whatever the process's working directory is.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { locateFromCaller } from '../src/commands/caller-location';
import { query, runNode, tenantFleetConfig, useFixture, WORKSPACE_ROOT } from '../src/testing';

const signup = (options: string) => `'use strict';
process.env.SWC_NODE_PROJECT = ${JSON.stringify(join(WORKSPACE_ROOT, 'tsconfig.base.json'))};
require('@swc-node/register');
const { createTenant } = require(${JSON.stringify(join(WORKSPACE_ROOT, 'libs/fleet/src/index.ts'))});
createTenant({ ${options}, id: process.argv[2] }).then(
  (r) => process.stdout.write(JSON.stringify({ tenant: r.tenant, location: r.location, applied: r.applied })),
  (e) => { process.stderr.write(String(e && e.message)); process.exitCode = 1; },
);
`;

describe('createTenant() and the working directory (real PostgreSQL)', () => {
  const fx = useFixture('ctloc');

  beforeEach(() => {
    fx.project.writeFile('apps/shop/fleet.config.ts', `export default ${JSON.stringify(tenantFleetConfig(), null, 2)};\n`);
    fx.project.writeMigration('apps/shop/global', { name: 'CreateTenants1000', up: ['CREATE TABLE tenants (id text PRIMARY KEY)'] });
    fx.project.writeMigration('apps/shop/tenant', { name: 'CreateUsers1000', up: ['CREATE TABLE users (id int)'] });
  });

  it.each([
    ['by app name', `app: 'shop'`],
    ['by a path relative to the calling module', `config: '../fleet.config.ts'`],
    ['by a workspace-relative path', `config: 'apps/shop/fleet.config.ts'`],
  ])('finds the config %s from a script run in another directory', async (_how, options) => {
    const script = fx.project.writeFile('apps/shop/src/signup.js', signup(options));
    const run = await runNode(script, ['acme'], fx.env, 60_000, tmpdir());
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toEqual({ tenant: 'acme', location: 'tenant_acme', applied: ['CreateUsers1000'] });
    expect(await query(fx.db, 'SELECT id FROM tenants')).toEqual([{ id: 'acme' }]);
  });

  it('says where it looked, and never falls back to the working directory', () => {
    const caller = fx.project.path('apps/other/src/main.js');
    expect(() => locateFromCaller({ app: 'nope' }, caller, 'createTenant()')).toThrow(
      new RegExp(
        `^createTenant\\(\\): no apps/nope/fleet.config.ts or nope/fleet.config.ts in ${fx.project.path('apps/other/src')} or any folder above it \\(the config is found from the calling module, not the working directory\\)`,
      ),
    );
    // An explicit workspace root (what the CLI passes) is used as given.
    expect(locateFromCaller({ app: 'shop', workspaceRoot: '/somewhere' }, caller, 'x')).toEqual({ app: 'shop', workspaceRoot: '/somewhere' });
    const found = locateFromCaller({ app: 'shop' }, caller, 'x');
    expect(found).toEqual({ app: 'shop', config: fx.project.path('apps/shop/fleet.config.ts'), workspaceRoot: WORKSPACE_ROOT });
  });
});
