/**
 * @fleet/core builds to JavaScript with type declarations (`npm run build`, `nx run fleet:build`),
 * and the compiled CLI runs without a TypeScript loader for its own code.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '../src/testing';

describe('build', () => {
  it('compiles the library with declarations, and the compiled CLI answers --help and --help of a verb', () => {
    mkdirSync(join(WORKSPACE_ROOT, 'tmp'), { recursive: true }); // a clean clone has no tmp/ yet
    const out = mkdtempSync(join(WORKSPACE_ROOT, 'tmp', 'build-'));
    try {
      const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'libs/fleet/tsconfig.lib.json', '--outDir', out], {
        cwd: WORKSPACE_ROOT,
        encoding: 'utf8',
      });
      expect(tsc.stdout + tsc.stderr).toBe('');
      expect(tsc.status).toBe(0);
      for (const file of ['index.js', 'index.d.ts', 'cli/main.js', 'cli/verbs/migrate.js', 'testing/index.js']) expect(existsSync(join(out, file))).toBe(true);
      const run = (args: string[]) =>
        spawnSync(process.execPath, ['-e', `require(${JSON.stringify(join(out, 'cli/main.js'))}).main(${JSON.stringify(args)}).then((c) => process.exit(c))`], {
          cwd: WORKSPACE_ROOT,
          encoding: 'utf8',
        });
      const help = run(['--help']);
      expect(help.status).toBe(0);
      expect(help.stdout).toContain('tenant create <id>');
      expect(run(['migrate', '--help']).stdout).toContain('--dry-run');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
