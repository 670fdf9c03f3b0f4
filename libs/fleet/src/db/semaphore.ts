/**
 * What bounds the open connections to one server: a permit per open connection. A Semaphore
 * within one process; in queue mode, slots shared by every worker (queue/slot-budget.ts).
 */
export interface ConnectionBudget {
  readonly capacity: number;
  acquire(): Promise<void>;
  release(): void;
}

/** A counting semaphore: at most `capacity` holders at once, FIFO waiters. */
export class Semaphore implements ConnectionBudget {
  private inUse = 0;
  private peak = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`Semaphore capacity must be a positive integer, got ${capacity}`);
  }

  async acquire(): Promise<void> {
    if (this.inUse < this.capacity) {
      this.take();
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
    // release() handed its slot to us without decrementing.
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.inUse--;
  }

  private take(): void {
    this.inUse++;
    if (this.inUse > this.peak) this.peak = this.inUse;
  }

  get held(): number {
    return this.inUse;
  }

  get highWaterMark(): number {
    return this.peak;
  }
}
