// Generated from @fleet/core's verb registry by src/sync-executors.ts: do not edit.
import type { ExecutorContext } from '@nx/devkit';
import { runVerb } from '../run-verb';
import type { FleetExecutorOptions } from '../schema';

export default function extensionsRelocateExecutor(options: FleetExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  return runVerb('extensions-relocate', options as Record<string, unknown>, context);
}
