/**
 * One scenario of the compatibility matrix, end to end and asserted: a copy of its prepared
 * workspace, Fleet's tarballs added with the package manager's plain add command, then through
 * the workspace's own Nx: init, configuration (schema per tenant), migrate, three tenants (two
 * through the `fleet` bin), status, a revert of one tenant; the outcome checked in the command results and with SQL.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDatabase, databaseUrl, dropDatabase, withAdmin } from '@fleet/core/testing';
import { parseJsonDocument } from '../run-nx';
import { CREATE_ORDERS } from './fixture';
import { Run } from './process';
import type { Scenario } from './scenarios';
import type { Tarballs } from './tarballs';
import { scratchWorkspace } from './workspace';

/** Throws with the command's whole output unless it exited 0. */
function succeeded(what: string, r: Run): string {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.out}`);
  return r.out;
}

const TENANTS = ['acme', 'globex', 'initech'];
const TENANT_MIGRATION = 'CreateOrders1700000000100';

interface TargetStatus {
  target: string;
  tenant: string | null;
  state: string;
  pending: string[];
}

/** Runs `scenario` in `<dir>/<scenario id>` against its own database (dropped afterwards). */
export async function exerciseScenario(scenario: Scenario, dir: string, tarballs: Tarballs): Promise<void> {
  const database = await createDatabase(`fleet_compat_${scenario.id[0]}`);
  // FLEET_COMPAT_TIMING=1: how long each step took, on stderr.
  const timings: string[] = [];
  const timed = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
    const start = Date.now();
    try {
      return await fn();
    } finally {
      timings.push(`${label}: ${((Date.now() - start) / 1000).toFixed(1)} s`);
    }
  };
  try {
    const { ws, install } = await timed('workspace copy and tarball install', () => scratchWorkspace(scenario, join(dir, scenario.id), tarballs));
    succeeded(`${scenario.packageManager.name} add of the two tarballs`, install);
    const env = { [scenario.urlEnv]: databaseUrl(database) };
    const nx = async (...args: string[]) => succeeded(`nx ${args.join(' ')}`, await timed(`nx ${args.join(' ')}`, () => ws.nx(args, env)));
    /** A --json verb's document: on stdout (its progress lines go to stderr). */
    const nxJson = async (...args: string[]) => {
      const r = await timed(`nx ${args.join(' ')} --json`, () => ws.nx([...args, '--json'], env));
      succeeded(`nx ${args.join(' ')} --json`, r);
      return parseJsonDocument(r.stdout);
    };
    const { project, appRoot } = scenario;

    expect(await nx('g', '@fleet/nx-plugin:init')).toContain(`wrote ${appRoot}/fleet.config.ts`);
    expect(readFileSync(join(ws.dir, appRoot, 'fleet.config.ts'), 'utf8')).toContain(`urlEnv: '${scenario.urlEnv}'`);
    await nx('g', '@fleet/nx-plugin:configuration', project, '--tenancy', 'schema');
    writeFileSync(join(ws.dir, appRoot, `src/tenant-migrations/${TENANT_MIGRATION.replace('CreateOrders', '')}-CreateOrders.ts`), CREATE_ORDERS('1700000000100'));

    const migrated = await nx('run', `${project}:migrate`);
    expect(migrated).toContain('applied CreateUsers1700000000000');
    expect(migrated).toContain('applied AddNickname1700000000001');
    expect(migrated).toMatch(/applied CreateTenantRegistry\d+/);
    // One tenant through Nx, two through the installed `fleet` bin (fewer Nx start-ups, and the
    // bin is checked under each package manager's layout).
    expect(await nx('run', `${project}:tenant-create`, '--id', 'acme')).toContain('tenant acme: created in tenant_acme');
    for (const tenant of TENANTS.slice(1)) {
      const created = await timed(`fleet tenant create ${tenant}`, () => ws.fleet(['tenant', 'create', tenant, '--config', `${appRoot}/fleet.config.ts`], env));
      expect(succeeded(`fleet tenant create ${tenant}`, created)).toContain(`tenant ${tenant}: created in tenant_${tenant}`);
    }

    const status = async (): Promise<TargetStatus[]> => (await nxJson('run', `${project}:status`)).targets;
    const before = await status();
    expect(before.map((t) => [t.tenant, t.state])).toEqual([[null, 'at-head'], ...TENANTS.map((t) => [t, 'at-head'])]);

    const acme = before.find((t) => t.tenant === 'acme') as TargetStatus;
    const reverted = await nxJson('run', `${project}:revert`, `--only=${acme.target}`, '--yes');
    expect(reverted.results.map((r: { target: string; reverted: string[] }) => [r.target, r.reverted])).toEqual([[acme.target, [TENANT_MIGRATION]]]);

    const after = await status();
    expect(after.map((t) => [t.tenant, t.state, t.pending])).toEqual([
      [null, 'at-head', []],
      ['acme', 'pending', [TENANT_MIGRATION]],
      ['globex', 'at-head', []],
      ['initech', 'at-head', []],
    ]);
    // In the database: acme's orders table is gone, the other tenants keep theirs, each enum type
    // was made in its tenant's schema (TypeORM's dropTable leaves it) and nothing landed in public.
    const rows = await withAdmin(
      (c) =>
        c.query(
          `SELECT s.schema,
                  to_regclass(format('%I.orders', s.schema)) IS NOT NULL AS orders,
                  EXISTS (SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                          WHERE n.nspname = s.schema AND t.typname = 'orders_status_enum') AS enum
             FROM unnest($1::text[]) AS s(schema) ORDER BY s.schema`,
          [['public', ...TENANTS.map((t) => `tenant_${t}`)]],
        ),
      database,
    );
    expect(rows.rows).toEqual([
      { schema: 'public', orders: false, enum: false },
      { schema: 'tenant_acme', orders: false, enum: true },
      { schema: 'tenant_globex', orders: true, enum: true },
      { schema: 'tenant_initech', orders: true, enum: true },
    ]);
  } finally {
    if (process.env.FLEET_COMPAT_TIMING) process.stderr.write(`${scenario.id}\n  ${timings.join('\n  ')}\n`);
    await dropDatabase(database);
  }
}
