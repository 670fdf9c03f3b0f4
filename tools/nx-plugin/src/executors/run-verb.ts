import type { ExecutorContext } from '@nx/devkit';
import { askOnTerminal, colorsFor, CommandOptions, convert, fieldOf, findVerb, runCommand, tuneHeapGrowth, watchInterrupts } from '@fleet/core';

/**
 * Every Fleet executor is this: map the Nx options onto the verb's (declared once, in the verb's
 * module of @fleet/core), run the shared shell, and turn its exit code into `{ success }`.
 * Unknown options never get here: every executor schema rejects them.
 */
export async function runVerb(verbName: string, options: Record<string, unknown>, context: ExecutorContext): Promise<{ success: boolean }> {
  const verb = findVerb(verbName);
  if (!verb) throw new Error(`@fleet/nx-plugin: no Fleet verb named ${verbName}`);
  try {
    // Nx runs each task in a process of its own: it collects garbage as the fleet command does.
    tuneHeapGrowth();
  } catch (err) {
    process.stderr.write(`fleet ${verb.name}: ${(err as Error).message}\n`);
    return { success: false };
  }
  const command: CommandOptions = { workspaceRoot: context.root };
  for (const spec of verb.options) {
    if (options[spec.name] === undefined) continue;
    const value = convert(spec, options[spec.name]);
    if (value instanceof Error) {
      process.stderr.write(`fleet ${verb.name}: ${value.message.replace(/^--[a-z-]+/, `--${spec.name}`)}\n`);
      return { success: false };
    }
    (command as Record<string, unknown>)[fieldOf(spec)] = value;
  }
  if (verb.positional && options[verb.positional.name] !== undefined) (command as Record<string, unknown>)[verb.positional.field] = String(options[verb.positional.name]);
  // An app verb works on the project it runs for, unless a config is named.
  if (verb.options.some((o) => o.name === 'app') && command.app === undefined && command.config === undefined) command.app = context.projectName;
  const interrupts = watchInterrupts((text) => process.stderr.write(text), { verb: verb.name, underNx: true });
  try {
    const code = await runCommand(
      verb.name,
      { ...command, signal: interrupts.signal },
      {
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
        isTTY: !!process.stderr.isTTY && !process.env.CI,
        confirm: process.stdin.isTTY && process.stderr.isTTY ? askOnTerminal : undefined,
        color: colorsFor(process.stdout),
      },
    );
    return { success: code === 0 && interrupts.exitCode() === null };
  } finally {
    interrupts.dispose();
  }
}
