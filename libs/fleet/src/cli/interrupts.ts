/**
 * Ctrl-C and SIGTERM for the shells (CLI, Nx executors): the first one stops the run cleanly
 * (the engine's AbortSignal: no new target, statements in flight cancelled and rolled back,
 * every target reported, the journal marked `interrupted`, the embedded server stopped last);
 * a second one exits at once. A wrapper that dies without passing the signal on (`npx`, a
 * killed `nx`) counts as SIGTERM: the process doing the work notices its parent is gone.
 *
 * One keypress is one interrupt. A terminal's Ctrl-C signals its whole foreground process group,
 * and a wrapper in that group (`nx run`, `npx`) passes on a signal of its own (Nx sends SIGTERM):
 * Fleet gets two signals for one key. A signal within `sameKeypressMs` of the first is that
 * same keypress and only said so; a later SIGINT or SIGTERM is a second Ctrl-C and exits at once
 * (a later SIGHUP is the terminal closing behind a wrapper that left, not a keypress).
 */
export interface Interrupts {
  signal: AbortSignal;
  /** 130 after SIGINT, 143 after SIGTERM (or a vanished parent), null when not interrupted. */
  exitCode(): number | null;
  dispose(): void;
}

export interface InterruptOptions {
  /** How often the parent process is looked for (default 500 ms). */
  parentPollMs?: number;
  /** A signal this soon after the first is the same keypress, passed on by a wrapper (default 1000 ms). */
  sameKeypressMs?: number;
  /** Exits the process (a second interrupt); tests substitute it. */
  exit?: (code: number) => void;
  /**
   * The verb being run: after an interrupt it has this long to stop by itself (see
   * `graceAfterInterrupt`) before the process exits anyway, saying so. Without it, no limit.
   */
  verb?: string;
  /** Running under Nx: its task runner returns to the prompt at once on Ctrl-C, so the report may not reach the terminal. */
  underNx?: boolean;
}

/** Verbs that only read: nothing to roll back or clean, so a wait they do not watch ends soon after Ctrl-C. */
const READ_ONLY_VERBS = new Set(['status', 'verify', 'drift', 'history', 'targets']);

/**
 * How long a verb has, after the first interrupt, to stop by itself before the process exits
 * anyway: every wait of the engine watches the interrupt (a run stops in well under 2 s); this
 * bounds the waits that do not (a read blocked behind another session's lock, say). A read-only
 * verb exits within 1.5 s; one that changes things gets longer to roll back, drop its scratch
 * database and write its journal.
 */
export function graceAfterInterrupt(verb: string): number {
  return READ_ONLY_VERBS.has(verb) ? 1_500 : 5_000;
}

const CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

export function watchInterrupts(say: (text: string) => void, options: InterruptOptions = {}): Interrupts {
  const controller = new AbortController();
  const sameKeypressMs = options.sameKeypressMs ?? 1_000;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let received: string | null = null;
  let receivedAt = 0;
  let echoed = false;
  const onSignal = (name: string) => {
    if (received !== null) {
      // A hang-up after an interrupt is the terminal going away (a wrapper that exited), not a keypress.
      if (Date.now() - receivedAt < sameKeypressMs || name === 'SIGHUP') {
        if (!echoed) say(`fleet: ${name} right after ${received}: the same interrupt (passed on by a wrapper such as nx or npx); still stopping.\n`);
        echoed = true;
        return;
      }
      say(`fleet: ${name} again: exiting now; targets in flight may be left for the server to roll back.\n`);
      exit(CODES[name] ?? 1);
      return;
    }
    received = name;
    receivedAt = Date.now();
    say(
      `\nfleet: ${name}: stopping. No new target starts; statements in flight are cancelled and rolled back, their locks released. ` +
        (options.underNx
          ? 'The report follows, and is in the run journal named above (Nx returns to the prompt at once on Ctrl-C, so it may not show here). '
          : 'The report follows. ') +
        'Press Ctrl-C again to exit at once.\n',
    );
    controller.abort(name);
    if (options.verb !== undefined) {
      const verb = options.verb;
      const graceMs = graceAfterInterrupt(verb);
      const backstop = setTimeout(() => {
        say(
          `fleet ${verb}: interrupted (${name}) while waiting on the server, and still waiting ${graceMs / 1000} s later: exiting now. ` +
            (READ_ONLY_VERBS.has(verb) ? 'It only reads: nothing was changed.\n' : 'The server rolls back what was in flight.\n'),
        );
        exit(CODES[name] ?? 1);
      }, graceMs);
      backstop.unref();
      timers.push(backstop);
    }
  };
  const timers: NodeJS.Timeout[] = [];
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((name) => {
    const handler = () => onSignal(name);
    process.on(name, handler);
    return [name, handler] as const;
  });
  // The terminal can go away under a run: Nx's task runner exits on Ctrl-C without waiting for
  // its executor, and the pseudo terminal it gave Fleet closes. Writes then fail (EIO; EPIPE for a
  // pipe whose reader left); the run still stops cleanly and its report goes to the journal.
  const onStreamError = (err: NodeJS.ErrnoException) => {
    if (err?.code !== 'EIO' && err?.code !== 'EPIPE' && err?.code !== 'ERR_STREAM_DESTROYED') throw err;
  };
  const streams = [process.stdout, process.stderr];
  for (const stream of streams) stream.on('error', onStreamError);
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
      for (const t of timers) clearTimeout(t);
      for (const stream of streams) stream.removeListener('error', onStreamError);
      for (const [name, handler] of handlers) process.removeListener(name, handler);
    },
  };
}
