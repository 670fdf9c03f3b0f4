import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '../../errors';
import { APP, OUTPUT } from '../options';
import { defineVerb, EXIT_FAILED, EXIT_OK } from '../verb';

export default defineVerb({
  name: 'lint',
  summary:
    'Check the SQL each migration issues (run on a scratch database): risky statements on a live table (FLEET1xx, both tracks) and what cannot run per tenant (tenant track).',
  options: [
    ...APP,
    ...OUTPUT,
    { name: 'fix', kind: 'boolean', description: 'Remove the "public". qualifiers TypeORM\'s generator writes from tenant-track files (nothing else).' },
    {
      name: 'format',
      kind: 'string',
      choices: ['text', 'json', 'sarif'],
      value: 'text|json|sarif',
      description: 'Output: text (default), json (the same document as --json), sarif (SARIF 2.1.0 for GitHub code scanning).',
    },
  ],
  async run(options) {
    if (options.format && options.format !== 'json' && options.json) throw new ConfigError(`Pass either --json or --format ${options.format}, not both.`);
    const { lint } = await import('../../commands/lint');
    const { formatLint } = await import('../../reporters/text-format');
    const report = await lint(options);
    const exitCode = report.ok ? EXIT_OK : EXIT_FAILED;
    if (options.format === 'sarif') {
      const { toSarif } = await import('../../lint/sarif');
      return { doc: report, text: JSON.stringify(toSarif(report.tracks, fleetVersion()), null, 2), exitCode };
    }
    if (options.format === 'json') return { doc: report, text: JSON.stringify(report, null, 2), exitCode };
    return { doc: report, text: formatLint(report, options.workspaceRoot ?? process.cwd()), exitCode };
  },
});

/** @fleet/core's version (its package.json is above this file in the sources and in the package). */
function fleetVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === '@fleet/core') return pkg.version ?? '0.0.0';
  }
  return '0.0.0';
}
