import { watchInterrupts } from './interrupts';

describe('watchInterrupts: one keypress is one interrupt', () => {
  const said: string[] = [];
  const exits: number[] = [];
  let dispose: (() => void) | undefined;
  afterEach(() => {
    dispose?.();
    said.length = 0;
    exits.length = 0;
  });

  function watch(sameKeypressMs = 1_000) {
    const interrupts = watchInterrupts((t) => said.push(t), { sameKeypressMs, exit: (code) => exits.push(code) });
    dispose = interrupts.dispose;
    return interrupts;
  }

  it("Ctrl-C under nx: the terminal's SIGINT, then the SIGTERM and SIGHUP Nx's runner sends, stop the run once and never exit", () => {
    const interrupts = watch();
    process.emit('SIGINT');
    process.emit('SIGTERM');
    process.emit('SIGHUP');
    expect(interrupts.signal.aborted).toBe(true);
    expect(interrupts.exitCode()).toBe(130);
    expect(exits).toEqual([]);
    expect(said.join('')).toContain('the same interrupt');
  });

  it('a second Ctrl-C later exits at once; a later hang-up (the terminal closing) does not', async () => {
    watch(50);
    process.emit('SIGINT');
    await new Promise((r) => setTimeout(r, 80));
    process.emit('SIGHUP');
    expect(exits).toEqual([]);
    process.emit('SIGINT');
    expect(exits).toEqual([130]);
    expect(said.join('')).toContain('SIGINT again: exiting now');
  });
});
