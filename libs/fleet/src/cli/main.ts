import { watchInterrupts } from './interrupts';
import { colorsFor } from '../reporters/style';
import { parseCommandLine } from './parse';
import { EXIT_USAGE, runCommand } from './run-command';

export { parseCommandLine } from './parse';
export { tuneHeapGrowth } from './heap';

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv);
  if ('help' in parsed) {
    process.stdout.write(`${parsed.help}\n`);
    return 0;
  }
  if ('error' in parsed) {
    process.stderr.write(`fleet: ${parsed.error}\n`);
    return EXIT_USAGE;
  }
  const interrupts = watchInterrupts((t) => process.stderr.write(t), { verb: parsed.verb });
  try {
    const code = await runCommand(
      parsed.verb,
      { ...parsed.options, signal: interrupts.signal },
      {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
        isTTY: !!process.stderr.isTTY && !process.env.CI,
        confirm: process.stdin.isTTY && process.stderr.isTTY ? askOnTerminal : undefined,
        color: colorsFor(process.stdout),
      },
    );
    return interrupts.exitCode() ?? code;
  } finally {
    interrupts.dispose();
  }
}

/** y/N on the terminal: anything but y or yes is no. */
export async function askOnTerminal(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
