/**
 * A worker's connection budget for one server in queue mode: a permit is a slot of the app's
 * queue (server-slots.ts), claimed before a connection opens and given back after it closed, so
 * the open connections of every worker together stay within the budget the coordinator declared.
 * Idle pooled connections keep their slot: they are open connections too.
 */
import type { ConnectionBudget } from '../db/semaphore';
import { Semaphore } from '../db/semaphore';
import type { ServerSlots } from './server-slots';

const CLAIM_RETRY_MS = 100;

export class SlotBudget implements ConnectionBudget {
  private readonly local: Semaphore;
  private readonly held: number[] = [];

  constructor(
    private readonly slots: ServerSlots,
    private readonly scope: string,
    private readonly server: string,
    /** This process's own ceiling (its concurrency). */
    readonly capacity: number,
    private readonly signal?: AbortSignal,
  ) {
    this.local = new Semaphore(capacity);
  }

  async acquire(): Promise<void> {
    await this.local.acquire();
    try {
      for (;;) {
        const slot = await this.slots.claim(this.scope, this.server);
        if (slot !== null) {
          this.held.push(slot);
          return;
        }
        if (this.signal?.aborted) throw new Error(`no connection slot for ${this.server}: the worker is stopping`);
        await new Promise((resolve) => setTimeout(resolve, CLAIM_RETRY_MS));
      }
    } catch (err) {
      this.local.release();
      throw err;
    }
  }

  /** Called when a connection ended: its slot goes back (after the socket closed). */
  release(): void {
    const slot = this.held.pop();
    this.local.release();
    if (slot !== undefined) void this.slots.release(this.scope, this.server, slot).catch(() => undefined);
  }

  get slotsHeld(): number {
    return this.held.length;
  }
}
