// Runs every project's tests: `npm test` (the README's test command).
export default {
  maxWorkers: 2,
  projects: ['<rootDir>/libs/fleet', '<rootDir>/tools/nx-plugin', '<rootDir>/apps/app1', '<rootDir>/apps/app2'],
};
