export default {
  displayName: 'app1',
  preset: '../../jest.preset.js',
  testTimeout: 30_000,
};
