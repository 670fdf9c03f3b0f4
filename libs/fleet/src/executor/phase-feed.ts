/**
 * Hands a phase's targets to the run as slots free up, not all at once. Starting every target of
 * a phase at once queued one waiting closure per target (with its retry state and promise) in the
 * concurrency limit: ~100 MB for 100,000 tenants before the first one ran. Here only a few more
 * targets than the concurrency are waiting for a slot at any time.
 *
 * A retry still runs after the targets of its phase that have not started: it waits until the
 * feed has handed every target over (`handedOver`), then queues behind them (README, "Retries").
 */
export class PhaseFeed {
  /** Resolved once every target of the phase has been started. */
  readonly handedOver: Promise<void>;
  private markHandedOver!: () => void;
  /** Targets started whose first attempt has not ended (waiting for a slot, or in one). */
  private firstAttempts = 0;
  private wake: (() => void) | null = null;

  constructor(
    /** How many first attempts may be outstanding: the concurrency plus as many waiting for a slot. */
    private readonly width: number,
  ) {
    this.handedOver = new Promise<void>((resolve) => (this.markHandedOver = resolve));
  }

  /** Called by a target when its first attempt ends (whatever its outcome): its place goes to the next target. */
  firstAttemptEnded(): void {
    this.firstAttempts--;
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /**
   * Starts `run` for each target, never more than `width` of them in their first attempt; resolves
   * when every one has ended, rejects with the first failure (as Promise.all did). `queue` is
   * emptied slot by slot as its targets are handed over (it holds none of them afterwards: a
   * target that has ended can be collected).
   */
  async feed<T>(queue: T[], run: (target: T) => Promise<void>): Promise<void> {
    let running = 0;
    let failure: { error: unknown } | null = null;
    let allEnded!: () => void;
    const ended = new Promise<void>((resolve) => (allEnded = resolve));
    let fed = false;
    const settle = () => {
      if (fed && running === 0) allEnded();
    };
    for (let i = 0; i < queue.length; i++) {
      const target = queue[i];
      queue[i] = undefined as T;
      while (this.firstAttempts >= this.width) await new Promise<void>((resolve) => (this.wake = resolve));
      this.firstAttempts++;
      running++;
      run(target).then(
        () => {
          running--;
          settle();
        },
        (error: unknown) => {
          failure ??= { error };
          running--;
          settle();
        },
      );
    }
    fed = true;
    this.markHandedOver();
    settle();
    await ended;
    if (failure) throw (failure as { error: unknown }).error;
  }
}
