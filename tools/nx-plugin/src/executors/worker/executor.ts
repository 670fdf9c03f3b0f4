// Generated from @fleet/core's verb registry by src/sync-executors.ts: do not edit.
import type { ExecutorContext } from '@nx/devkit';
import { runVerb } from '../run-verb';
import type { FleetExecutorOptions } from '../schema';

export default function workerExecutor(options: FleetExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  return runVerb('worker', options as Record<string, unknown>, context);
}
