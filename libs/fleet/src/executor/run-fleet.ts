import pLimit from 'p-limit';
import { databaseKey } from '../db/connection-spec';
import type { ConnectionManager } from '../db/connection-manager';
import { errorToJSON, FleetError } from '../errors';
import type { EventListener } from '../events';
import type { Target } from '../targets/target';
import { emptyResult, TargetCommand } from './execute-plan';
import { RunReport, summarize, TargetResult } from './result';
import { runTargetOnPostgres } from './run-target';

export interface FleetRunOptions {
  /** Targets migrated at once (each holds one connection). */
  concurrency: number;
  /** Stop starting new targets after the first failure (default: attempt every target). */
  failFast?: boolean;
  connections: ConnectionManager;
  emit: EventListener;
  /** Runs one target; defaults to the PostgreSQL runner (tests may substitute). */
  runTarget?: (target: Target) => Promise<TargetResult>;
}

/**
 * Runs a command over many targets in parallel (p-limit), phase by phase: a database's tenant
 * targets start only if its global track succeeded. Every target ends with a result; one
 * failing target never hides the others.
 */
export async function runFleet(commandName: string, targets: readonly Target[], command: TargetCommand, options: FleetRunOptions): Promise<RunReport> {
  const startedAt = new Date();
  const { emit, connections } = options;
  emit({ type: 'run-start', command: commandName, targets: targets.length, concurrency: options.concurrency });

  const limit = pLimit(Math.max(1, options.concurrency));
  const results = new Map<string, TargetResult>();
  const remainingPerDatabase = new Map<string, number>();
  for (const t of targets) remainingPerDatabase.set(databaseKey(t.connection), (remainingPerDatabase.get(databaseKey(t.connection)) ?? 0) + 1);
  const failedDatabases = new Set<string>();
  let stop = false;

  const runOne = async (target: Target): Promise<void> => {
    const dbKey = databaseKey(target.connection);
    let result: TargetResult;
    if (stop || (target.phase > 0 && failedDatabases.has(dbKey))) {
      result = emptyResult(target);
      result.failed = {
        migration: null,
        error: stop
          ? { code: 'NOT_RUN', message: 'not attempted: --fail-fast stopped the run after a failure' }
          : { code: 'NOT_RUN', message: 'not attempted: the global track of this database failed' },
      };
    } else {
      emit({ type: 'target-start', target: target.id });
      const started = Date.now();
      try {
        result = options.runTarget
          ? await options.runTarget(target)
          : await runTargetOnPostgres(await connections.pool(target.connection), target, command, emit);
      } catch (err) {
        result = emptyResult(target);
        result.outcome = 'failed';
        result.failed = { migration: null, error: errorToJSON(err instanceof FleetError || err instanceof Error ? err : new Error(String(err))) };
        result.durationMs = Date.now() - started;
      }
    }
    if (result.outcome === 'failed' || result.outcome === 'blocked') {
      failedDatabases.add(dbKey);
      if (options.failFast) stop = true;
    }
    results.set(target.id, result);
    emit({ type: 'target-end', result });
    const left = (remainingPerDatabase.get(dbKey) ?? 1) - 1;
    remainingPerDatabase.set(dbKey, left);
    if (left === 0 && !options.runTarget) await connections.release(target.connection);
  };

  const phases = [...new Set(targets.map((t) => t.phase))].sort((a, b) => a - b);
  for (const phase of phases) {
    await Promise.all(targets.filter((t) => t.phase === phase).map((t) => limit(() => runOne(t))));
  }

  const ordered = targets.map((t) => results.get(t.id)!);
  const summary = summarize(ordered);
  const report: RunReport = {
    command: commandName,
    ok: summary.failed === 0 && summary.blocked === 0 && summary.notRun === 0,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    summary,
    results: ordered,
  };
  emit({ type: 'run-end', report });
  return report;
}
