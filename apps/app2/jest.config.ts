export default {
  displayName: 'app2',
  preset: '../../jest.preset.js',
  testTimeout: 30_000,
};
