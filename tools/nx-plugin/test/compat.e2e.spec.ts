/**
 * The compatibility matrix (matrix/scenarios.ts): Fleet's packed tarballs installed, with no flag
 * that relaxes peer dependencies, into real scratch workspaces (npm, pnpm, yarn; a written
 * workspace or one from create-nx-workspace; Nx 22 to 24; TypeORM 0.3 and 1.x; TypeScript 5 to 7),
 * then through Nx: init, configuration (schema per tenant), migrate, three tenants, status, and a
 * revert of one tenant, checked in the database. And, for every Nx major the matrix installs, no
 * option of a Fleet target is one `nx run` keeps for itself.
 *
 * Each scenario's dependencies are installed once and cached by version (matrix/workspace.ts);
 * FLEET_COMPAT=a,c runs only the scenarios whose ids start so; FLEET_COMPAT_TARBALLS=<dir> installs
 * tarballs packed before instead of packing the working tree; FLEET_COMPAT_KEEP=1 keeps the copies.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verbs } from '@fleet/core';
import { exerciseScenario } from './matrix/exercise';
import { collisions, nxRunOptions } from './matrix/nx-flags';
import { nxMajor, Scenario, SCENARIOS } from './matrix/scenarios';
import { packTarballs, Tarballs } from './matrix/tarballs';
import { preparedWorkspace } from './matrix/workspace';

const only = process.env.FLEET_COMPAT?.split(',').map((s) => s.trim());
const chosen = SCENARIOS.filter((s) => !only || only.some((o) => s.id.startsWith(o)));

describe('compatibility matrix: Fleet from its tarballs in the workspaces people have', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-compat-'));
  // Packed once, by the first scenario that asks (concurrent tests may start before a beforeAll ends).
  let packed: Promise<Tarballs> | undefined;
  const tarballs = () => (packed ??= packTarballs(join(dir, 'packages')));

  afterAll(() => {
    // FLEET_COMPAT_KEEP=1 leaves the scratch workspaces for a look after a failure.
    if (!process.env.FLEET_COMPAT_KEEP) rmSync(dir, { recursive: true, force: true });
  });

  // Two scenarios at a time (jest.compat.config.ts: maxConcurrency): each is mostly one
  // single-threaded process after another, so two keep 2 cores busy.
  it.concurrent.each(chosen.map((s) => [s.title, s] as const))(
    '%s: install with no flags, init, migrate, status, revert one tenant through Nx',
    async (_title, scenario: Scenario) => {
      await exerciseScenario(scenario, dir, await tarballs());
    },
    1_200_000,
  );

  const majors = [...new Set(SCENARIOS.map(nxMajor))].sort();
  it.each(majors)(
    'Nx %i: no option of a Fleet target is one `nx run` keeps for itself',
    async (major) => {
      const scenario = SCENARIOS.find((s) => nxMajor(s) === major && s.base.kind === 'written') ?? (SCENARIOS.find((s) => nxMajor(s) === major) as Scenario);
      const { dir: workspace } = await preparedWorkspace(scenario);
      const nx = await nxRunOptions(workspace);
      expect(Number(nx.version.split('.')[0])).toBe(major);
      // The probe found nx run's own options (a wrong path would find none).
      expect(nx.options).toEqual(expect.arrayContaining(['target', 'project', 'configuration', 'skipNxCache']));
      expect(collisions(verbs(), nx)).toEqual([]);
    },
    1_200_000,
  );

  it('covers Nx 22, 23 and 24', () => {
    expect(majors).toEqual([22, 23, 24]);
  });
});
