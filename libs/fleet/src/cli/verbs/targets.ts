import { APP, OUTPUT, TARGETS } from '../options';
import { defineVerb, EXIT_FAILED, EXIT_OK } from '../verb';
import { printable } from '../../terminal-text';

export default defineVerb({
  name: 'targets',
  summary: 'List the targets a command would work on (each database, shard and tenant), read-only.',
  options: [...APP, ...TARGETS, ...OUTPUT],
  async run(options) {
    const { withRuntime } = await import('../../commands/runtime');
    return withRuntime(options, { createDatabases: false }, async (runtime) => {
      const tenants = await runtime.tenantTargets();
      const targets = [...runtime.globalTargets(), ...tenants.targets].map((t) => ({
        target: t.id,
        database: t.info.database,
        track: t.info.tenant === null ? 'global' : 'tenant',
        tenant: t.info.tenant,
        shard: t.info.shard,
        server: `${t.connection.host}:${t.connection.port}`,
        databaseName: t.connection.database,
        schema: t.info.schema,
      }));
      const problems = tenants.results.map((r) => ({ target: r.target, problem: String(r.failed?.error.message ?? r.outcome) }));
      const lines = targets.map((t) => `${t.target.padEnd(32)} ${t.track.padEnd(6)} ${t.databaseName}${t.schema === 'public' ? '' : `.${t.schema}`}`);
      // An unsafe id is listed here as discovery found it: escaped, never sent raw to the terminal.
      for (const p of problems) lines.push(`${printable(p.target).padEnd(32)} not a target: ${printable(p.problem)}`);
      lines.push(`targets: ${targets.length}${problems.length ? `, ${problems.length} problem(s)` : ''}`);
      return { doc: { command: 'targets', ok: problems.length === 0, targets, problems }, text: lines.join('\n'), exitCode: problems.length ? EXIT_FAILED : EXIT_OK };
    });
  },
});
