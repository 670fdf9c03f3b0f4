import type { ExecutorContext } from '@nx/devkit';
import { askOnTerminal, runCommand, Verb, watchInterrupts } from '@fleet/core';
import type { FleetExecutorOptions } from './schema';

/**
 * Every Fleet executor is this: map the Nx options onto the CLI's, run the shared shell, and
 * turn its exit code into `{ success }`. No logic lives here.
 */
export async function runVerb(verb: Verb, options: FleetExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  const interrupts = watchInterrupts((text) => process.stderr.write(text));
  try {
    const code = await run(verb, options, context, interrupts.signal);
    return { success: code === 0 && interrupts.exitCode() === null };
  } finally {
    interrupts.dispose();
  }
}

function run(verb: Verb, options: FleetExecutorOptions, context: ExecutorContext, signal: AbortSignal): Promise<number> {
  return runCommand(
    verb,
    {
      app: options.config ? undefined : (options.app ?? context.projectName),
      config: options.config,
      workspaceRoot: context.root,
      databases: list(options.database),
      tenants: list(options.tenant),
      targets: list(options.target),
      track: options.track,
      dryRun: options.dryRun,
      force: options.force,
      createMissing: options.createMissing,
      shard: options.shard ? parseShard(String(options.shard)) : undefined,
      concurrency: options.concurrency,
      maxConnections: options.maxConnections,
      lockWaitMs: options.lockWait,
      json: options.json,
      verbose: options.verbose,
      to: options.to,
      steps: options.steps,
      check: options.check,
      failFast: options.failFast,
      allowOutOfOrder: options.allowOutOfOrder,
      html: options.html,
      journal: options.journal,
      tenantId: options.id,
      attributes: options.attr ? parseAttributes(String(options.attr)) : undefined,
      yes: options.yes,
      fix: options.fix,
      signal,
    },
    {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      isTTY: !!process.stderr.isTTY && !process.env.CI,
      confirm: process.stdin.isTTY && process.stderr.isTTY ? askOnTerminal : undefined,
    },
  );
}

/** A given-but-empty value stays [] (refused by the API): `--tenant=$UNSET` never means "all". */
function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : String(value).split(',').map((s) => s.trim()).filter(Boolean);
}

/** `i/n`; anything else becomes an invalid shard that the API rejects with its usual message. */
function parseShard(value: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value);
  return m ? { index: Number(m[1]), count: Number(m[2]) } : { index: 0, count: 0 };
}

/** `plan=pro,region=eu` -> { plan: 'pro', region: 'eu' }. */
function parseAttributes(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq > 0) out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}
