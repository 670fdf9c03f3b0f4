// The compatibility matrix alone (`npm run test:compat`, its own step in .ci/run): it installs
// real workspaces, minutes on a cold cache, so `npm test` leaves it out (jest.config.ts here).
export default {
  displayName: 'compat',
  preset: '../../jest.preset.js',
  testMatch: ['<rootDir>/test/compat.e2e.spec.ts'],
  // One worker; in it, two scenarios at a time (it.concurrent in the spec).
  maxWorkers: 1,
  maxConcurrency: 2,
  testTimeout: 1_200_000,
  globalSetup: '<rootDir>/../ci/jest-global-setup.js',
  globalTeardown: '<rootDir>/../ci/jest-global-teardown.js',
};
