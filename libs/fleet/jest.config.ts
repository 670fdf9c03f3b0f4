export default {
  displayName: 'fleet',
  preset: '../../jest.preset.js',
  testTimeout: 30_000,
};
