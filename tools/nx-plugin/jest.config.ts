export default {
  displayName: 'nx-plugin',
  preset: '../../jest.preset.js',
  // The compatibility matrix has its own config and CI step (jest.compat.config.ts).
  testPathIgnorePatterns: ['/node_modules/', '/test/compat\\.e2e\\.spec\\.ts$'],
  testTimeout: 30_000,
};
