// Runs every project's tests: `npm test` (the README's test command).
export default {
  maxWorkers: 2,
  // Real-database tests on a shared 2-core machine: generous, so load never fails a correct test.
  testTimeout: 30_000,
  // A PostgreSQL server for the integration tests: the live one, else the embedded one (see the file).
  globalSetup: '<rootDir>/tools/ci/jest-global-setup.js',
  globalTeardown: '<rootDir>/tools/ci/jest-global-teardown.js',
  projects: ['<rootDir>/libs/fleet', '<rootDir>/tools/nx-plugin', '<rootDir>/apps/app1', '<rootDir>/apps/app2'],
};
