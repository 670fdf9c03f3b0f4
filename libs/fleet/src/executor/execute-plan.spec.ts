import { executeOnTarget } from './execute-plan';
import type { MigrationRunner } from './migration-runner';
import { MemoryVersionStore } from '../storage/memory-version-store';
import type { MigrationDefinition } from '../migration/migration';
import type { Target } from '../targets/target';
import type { FleetEvent } from '../events';

/** A recording runner: transactions buffer their effects and drop them on error, like PostgreSQL. */
class RecordingRunner implements MigrationRunner {
  readonly log: string[] = [];
  private buffer: string[] | null = null;
  transactions = 0;

  async inTransaction<T>(fn: () => Promise<T>): Promise<T> {
    this.transactions++;
    this.buffer = [];
    try {
      const result = await fn();
      this.log.push(...this.buffer);
      return result;
    } finally {
      this.buffer = null;
    }
  }

  async run(migration: MigrationDefinition, direction: 'up' | 'down'): Promise<void> {
    await migration.instance[direction](undefined as never);
    (this.buffer ?? this.log).push(`${direction} ${migration.name}`);
  }
}

function def(name: string, options: { fail?: boolean; transactional?: boolean; appliesTo?: () => boolean | string } = {}): MigrationDefinition {
  return {
    name,
    timestamp: Number(/(\d+)$/.exec(name)![1]),
    checksum: `sum-${name}`,
    transactional: options.transactional ?? true,
    source: name,
    instance: {
      up: async () => {
        if (options.fail) throw new Error(`boom in ${name}`);
      },
      down: async () => undefined,
      ...(options.appliesTo ? { appliesTo: options.appliesTo } : {}),
    },
  };
}

function target(migrations: MigrationDefinition[], mode: 'each' | 'all' = 'each'): Target {
  return {
    id: 'app/db',
    info: { id: 'app/db', app: 'app', database: 'db', track: 'default', schema: 'public', tenant: null, shard: null, attributes: { plan: 'free' } },
    connection: { host: 'h', port: 1, user: 'u', database: 'd' },
    versionTable: 'fleet_migrations',
    sharedSearchPath: [],
    extensions: null,
    adoptTypeormTable: null,
    migrations,
    settings: {
      transactionMode: mode,
      lockWaitMs: 0,
      lockTimeoutMs: 0,
      retries: { count: 0, windowMs: 0, maxLockTimeoutMs: 0 },
      idleInTransactionTimeoutMs: 0,
      statementTimeoutMs: 0,
      allowOutOfOrder: false,
    },
    phase: 0,
  };
}

async function run(migrations: MigrationDefinition[], store = new MemoryVersionStore(), mode: 'each' | 'all' = 'each') {
  const runner = new RecordingRunner();
  const events: FleetEvent[] = [];
  const result = await executeOnTarget({ target: target(migrations, mode), store, runner, emit: (e) => events.push(e) }, { kind: 'migrate' });
  return { result, runner, store, events };
}

describe('executeOnTarget (in-memory store)', () => {
  it('applies pending migrations, one transaction each, and records them', async () => {
    const { result, runner, store } = await run([def('A1'), def('B2')]);
    expect(result.outcome).toBe('changed');
    expect(result.applied).toEqual(['A1', 'B2']);
    expect(runner.transactions).toBe(2);
    expect((await store.readApplied())!.map((r) => [r.name, r.status, r.checksum])).toEqual([
      ['A1', 'applied', 'sum-A1'],
      ['B2', 'applied', 'sum-B2'],
    ]);
    expect(result.versionBefore).toBeNull();
    expect(result.versionAfter).toBe('B2');
  });

  it('keeps earlier migrations and reports the failing one (each mode)', async () => {
    const { result, store } = await run([def('A1'), def('B2', { fail: true }), def('C3')]);
    expect(result.outcome).toBe('failed');
    expect(result.applied).toEqual(['A1']);
    expect(result.failed).toMatchObject({ migration: 'B2', error: { code: 'MIGRATION_FAILED' } });
    expect(String(result.failed!.error.message)).toContain('boom in B2');
    expect((await store.readApplied())!.map((r) => r.name)).toEqual(['A1']);
  });

  it('runs every pending migration in one transaction in all mode', async () => {
    const { result, runner } = await run([def('A1'), def('B2')], new MemoryVersionStore(), 'all');
    expect(result.applied).toEqual(['A1', 'B2']);
    expect(runner.transactions).toBe(1);
  });

  it('reports nothing applied when the all-mode transaction fails', async () => {
    const { result } = await run([def('A1'), def('B2', { fail: true })], new MemoryVersionStore(), 'all');
    expect(result.outcome).toBe('failed');
    expect(result.applied).toEqual([]);
  });

  it('runs a non-transactional migration outside any transaction, marking it started first', async () => {
    const store = new MemoryVersionStore();
    const seen: string[] = [];
    const nonTx = def('B2', { transactional: false });
    nonTx.instance.up = async () => {
      seen.push(...(await store.readApplied())!.map((r) => `${r.name}:${r.status}`));
    };
    const { result, runner } = await run([def('A1'), nonTx, def('C3')], store, 'all');
    expect(result.applied).toEqual(['A1', 'B2', 'C3']);
    expect(seen).toEqual(['A1:applied', 'B2:started']);
    expect(runner.transactions).toBe(2);
    expect((await store.readApplied())!.find((r) => r.name === 'B2')!.status).toBe('applied');
  });

  it('leaves a failed non-transactional migration as started, which blocks the next run', async () => {
    const store = new MemoryVersionStore();
    const first = await run([def('A1', { transactional: false, fail: true })], store);
    expect(first.result.outcome).toBe('failed');
    expect((await store.readApplied())![0]).toMatchObject({ name: 'A1', status: 'started' });
    const second = await run([def('A1', { transactional: false })], store);
    expect(second.result.outcome).toBe('blocked');
    expect(second.result.findings[0]).toMatchObject({ kind: 'interrupted', migration: 'A1' });
  });

  it('marks a non-transactional down() started first: interrupted half-way, the target needs attention instead of looking applied', async () => {
    const store = new MemoryVersionStore();
    const nonTx = def('B2', { transactional: false });
    await run([def('A1'), nonTx], store);
    const seen: string[] = [];
    nonTx.instance.down = async () => {
      seen.push(...(await store.readApplied())!.map((r) => `${r.name}:${r.status}`));
      throw new Error('cancelled between the two DROP INDEX CONCURRENTLY');
    };
    const runner = new RecordingRunner();
    const reverted = await executeOnTarget({ target: target([def('A1'), nonTx]), store, runner, emit: () => undefined }, { kind: 'revert' });
    expect(reverted.outcome).toBe('failed');
    expect(seen).toEqual(['A1:applied', 'B2:started']);
    expect((await store.readApplied())!.find((r) => r.name === 'B2')).toMatchObject({
      status: 'started',
      reason: expect.stringMatching(/down\(\) failed, may be partly reverted/),
    });
    const next = await run([def('A1'), nonTx], store);
    expect(next.result.outcome).toBe('blocked');
    expect(next.result.findings[0]).toMatchObject({ kind: 'interrupted', migration: 'B2' });
  });

  it('after a lost connection, versionAfter is what committed before it (not null, not the version before)', async () => {
    const store = new MemoryVersionStore();
    const lost = def('C3');
    lost.instance.up = async () => {
      // The connection dies: every later read on this session fails too.
      store.readApplied = async () => {
        throw new Error('Connection terminated unexpectedly');
      };
      throw new Error('Connection terminated unexpectedly');
    };
    const { result } = await run([def('A1'), def('B2'), lost], store);
    expect(result).toMatchObject({ outcome: 'failed', applied: ['A1', 'B2'], versionBefore: null, versionAfter: 'B2' });
  });

  it('records conditional migrations as skipped with the reason', async () => {
    const { result, store, events } = await run([def('A1'), def('B2', { appliesTo: () => 'only for the pro plan' })]);
    expect(result.applied).toEqual(['A1']);
    expect(result.skipped).toEqual([{ migration: 'B2', reason: 'only for the pro plan' }]);
    expect((await store.readApplied())![1]).toMatchObject({ name: 'B2', status: 'skipped', reason: 'only for the pro plan' });
    expect(events.some((e) => e.type === 'migration-end' && e.outcome === 'skipped')).toBe(true);
  });

  it('blocks and applies nothing when the history does not match the code', async () => {
    const store = new MemoryVersionStore();
    await run([def('A1')], store);
    const edited = def('A1');
    edited.checksum = 'changed';
    const { result, runner } = await run([edited, def('B2')], store);
    expect(result.outcome).toBe('blocked');
    expect(result.applied).toEqual([]);
    expect(runner.log).toEqual([]);
    expect(result.findings[0].message).toContain('A1 was edited after it was applied');
  });

  it('adopts a legacy TypeORM history when the version table is created', async () => {
    const store = new MemoryVersionStore();
    const runner = new RecordingRunner();
    const result = await executeOnTarget(
      { target: target([def('A1'), def('B2')]), store, runner, emit: () => undefined, readLegacyHistory: async () => [{ name: 'A1', timestamp: 1 }] },
      { kind: 'migrate' },
    );
    expect(result.applied).toEqual(['B2']);
    expect(runner.log).toEqual(['up B2']);
    expect((await store.readApplied())![0]).toMatchObject({ name: 'A1', method: 'adopt', checksum: 'sum-A1' });
  });
});
