import { fingerprintOf, manifestDifference, MigrationManifest } from './manifest';

const run: MigrationManifest = {
  main: [['CreateTenants1000', 'a1']],
  'main/tenant': [
    ['CreateProjects1000', 'b1'],
    ['AddName1100', 'b2'],
  ],
};

describe('migration manifest of a queued run', () => {
  it('the same migrations in any key order: one fingerprint, no difference', () => {
    const same: MigrationManifest = { 'main/tenant': run['main/tenant'], main: run.main };
    expect(fingerprintOf(same)).toBe(fingerprintOf(run));
    expect(manifestDifference(run, same)).toBeNull();
  });

  it('names what differs: one more, one fewer, an edited one, a missing track', () => {
    const mine: MigrationManifest = {
      'main/tenant': [
        ['CreateProjects1000', 'XX'],
        ['Rogue2000', 'r'],
      ],
    };
    expect(manifestDifference(run, mine)).toBe(
      "track main is not in this worker's config; main/tenant: missing here AddName1100; main/tenant: only here (not planned) Rogue2000; main/tenant: checksum differs CreateProjects1000",
    );
    expect(fingerprintOf(mine)).not.toBe(fingerprintOf(run));
  });

  it('tracks the run did not plan are not its business', () => {
    expect(manifestDifference(run, { ...run, audit: [['X1', 'x']] })).toBeNull();
  });
});
