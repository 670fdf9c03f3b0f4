/**
 * Ctrl-C and SIGTERM for the shells (CLI, Nx executors): the first one stops the run cleanly
 * (the engine's AbortSignal: no new target, statements in flight cancelled and rolled back,
 * every target reported, the journal marked `interrupted`, the embedded server stopped last);
 * a second one exits at once. A wrapper that dies without passing the signal on (`npx`, a
 * killed `nx`) counts as SIGTERM: the process doing the work notices its parent is gone.
 */
export interface Interrupts {
  signal: AbortSignal;
  /** 130 after SIGINT, 143 after SIGTERM (or a vanished parent), null when not interrupted. */
  exitCode(): number | null;
  dispose(): void;
}

const CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

export function watchInterrupts(say: (text: string) => void, options: { parentPollMs?: number } = {}): Interrupts {
  const controller = new AbortController();
  let received: string | null = null;
  const onSignal = (name: string) => {
    if (received !== null) {
      say(`fleet: ${name} again: exiting now; targets in flight may be left for the server to roll back.\n`);
      process.exit(CODES[name] ?? 1);
    }
    received = name;
    say(
      `\nfleet: ${name}: stopping. No new target starts; statements in flight are cancelled and rolled back, their locks released. ` +
        'The report follows. Press Ctrl-C again to exit at once.\n',
    );
    controller.abort(name);
  };
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((name) => {
    const handler = () => onSignal(name);
    process.on(name, handler);
    return [name, handler] as const;
  });
  const parent = process.ppid;
  const poll = setInterval(() => {
    if (received === null && process.ppid !== parent) onSignal('SIGTERM');
  }, options.parentPollMs ?? 500);
  poll.unref();
  return {
    signal: controller.signal,
    exitCode: () => (received === null ? null : (CODES[received] ?? 1)),
    dispose: () => {
      clearInterval(poll);
      for (const [name, handler] of handlers) process.removeListener(name, handler);
    },
  };
}
