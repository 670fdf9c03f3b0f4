// Lint for the whole workspace: typescript-eslint, Nx's project boundaries (the `scope:` tags of
// each project.json), and the engine's layering inside libs/fleet/src, so that a lower layer never
// reaches up: cli -> (reporters) -> commands -> executor -> planner/storage/locking/... -> db -> config.
// Run: npm run lint (also in .ci/run).
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const SRC = './libs/fleet/src';

/** Each zone: files in `target` may not import from `from` (a higher layer). */
const layers = [
  // The pure core knows nothing of connections, commands or shells.
  {
    target: `${SRC}/planner`,
    from: [`${SRC}/db`, `${SRC}/storage/postgres-version-store.ts`, `${SRC}/executor`, `${SRC}/commands`, `${SRC}/cli`, `${SRC}/reporters`],
    message: 'the planner is pure: no I/O, no executor, no commands',
  },
  { target: `${SRC}/lint`, from: [`${SRC}/db`, `${SRC}/executor`, `${SRC}/commands`, `${SRC}/cli`], message: 'the tenant lint is pure: SQL in, findings out' },
  {
    target: `${SRC}/rollout`,
    from: [`${SRC}/db`, `${SRC}/executor`, `${SRC}/queue`, `${SRC}/commands`, `${SRC}/cli`, `${SRC}/reporters`],
    message: 'the rollout waves are pure: tenants in, waves out',
  },
  // Queue mode (coordinator, worker, run status) is a command built on the runtime; the queue itself carries targets.
  { target: `${SRC}/queue`, from: [`${SRC}/cli`, `${SRC}/reporters`], message: 'queue mode is a command: the shell (cli/) drives it' },
  {
    target: ['fleet-queue.ts', 'run-registry.ts', 'manifest.ts', 'server-slots.ts', 'slot-budget.ts', 'sql-client.ts', 'target-job.ts'].map((f) => `${SRC}/queue/${f}`),
    from: [`${SRC}/commands`],
    message: 'the job queue carries targets; the coordinator, the worker and run status drive it',
  },
  // Building blocks below the executor.
  ...['storage', 'locking', 'db', 'config', 'migration', 'targets', 'tenancy', 'tenants', 'extensions', 'history'].map((dir) => ({
    target: `${SRC}/${dir}`,
    from: [`${SRC}/executor`, `${SRC}/commands`, `${SRC}/cli`, `${SRC}/reporters`],
    message: `${dir}/ is below the executor and the commands`,
  })),
  { target: `${SRC}/config`, from: [`${SRC}/db`, `${SRC}/storage`, `${SRC}/locking`, `${SRC}/planner`], message: 'config/ is the bottom layer' },
  { target: `${SRC}/journal`, from: [`${SRC}/commands`, `${SRC}/cli`, `${SRC}/reporters`], message: 'the run journal records what the executor reports; the commands write it' },
  { target: `${SRC}/executor`, from: [`${SRC}/commands`, `${SRC}/cli`, `${SRC}/reporters`], message: 'the executor runs plans; it does not know the commands or the shell' },
  { target: `${SRC}/commands`, from: [`${SRC}/cli`], message: 'commands are the public API; the shell (cli/) uses them, not the reverse' },
];

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', 'tmp/**', '.fleet/**', '.nx/**', 'coverage/**', '**/*.d.ts', '**/compat/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { plugins: { '@nx': nx, 'import-x': importX } },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'scope:engine', onlyDependOnLibsWithTags: ['scope:engine'] },
            { sourceTag: 'scope:domain', onlyDependOnLibsWithTags: ['scope:domain'] },
            { sourceTag: 'scope:app', onlyDependOnLibsWithTags: ['scope:engine', 'scope:domain'] },
            { sourceTag: 'scope:tooling', onlyDependOnLibsWithTags: ['scope:engine', 'scope:domain', 'scope:tooling'] },
          ],
        },
      ],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-duplicates': 'error',
      'import-x/no-restricted-paths': ['error', { zones: layers }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      // Dynamic requires are how configs, migrations and data sources are loaded.
      '@typescript-eslint/no-require-imports': 'off',
    },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js'],
    },
  },
  {
    // Plain Node scripts (the bin shim, CI helpers).
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly', setTimeout: 'readonly', globalThis: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests may reach into anything and use loose types for fixtures.
    files: ['**/*.spec.ts', '**/test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@nx/enforce-module-boundaries': 'off' },
  },
  prettier,
];
