// Runs every project's tests: `npm test` (the README's test command).
export default {
  maxWorkers: 2,
  // Real-database tests on a shared 2-core machine: generous, so load never fails a correct test.
  testTimeout: 30_000,
  projects: ['<rootDir>/libs/fleet', '<rootDir>/tools/nx-plugin', '<rootDir>/apps/app1', '<rootDir>/apps/app2'],
};
