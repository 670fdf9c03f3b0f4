import type { AppliedRecord } from '../planner/planner';
import type { RecordInput, VersionStore } from './version-store';

/** A VersionStore in memory, for fast tests of the executor and commands. */
export class MemoryVersionStore implements VersionStore {
  private created = false;
  private rows: AppliedRecord[] = [];
  private clock = 0;

  constructor(initial: AppliedRecord[] = []) {
    if (initial.length) {
      this.created = true;
      this.rows = initial.map((r) => ({ ...r }));
    }
  }

  async ensure(): Promise<void> {
    this.created = true;
  }

  async readApplied(): Promise<AppliedRecord[] | null> {
    return this.created ? this.rows.map((r) => ({ ...r })) : null;
  }

  async record(...inputs: RecordInput[]): Promise<void> {
    if (!this.created) throw new Error('version table does not exist');
    for (const input of inputs) this.recordOne(input);
  }

  private recordOne(input: RecordInput): void {
    const row: AppliedRecord = { ...input, appliedAt: new Date(Date.UTC(2000, 0, 1, 0, 0, this.clock++)).toISOString() };
    const index = this.rows.findIndex((r) => r.name === input.name);
    if (index >= 0) this.rows[index] = row;
    else this.rows.push(row);
  }

  async unrecord(name: string): Promise<void> {
    this.rows = this.rows.filter((r) => r.name !== name);
  }
}
