/**
 * One target of a run as a queue job: what a worker needs to rebuild the target from its own copy
 * of the app (config, migrations) and run it with the same engine. Plain JSON.
 */
import type { TargetCommand } from '../executor/execute-plan';
import type { Registration } from '../targets/target';

export interface TargetJob {
  runId: string;
  app: string;
  /** The target's id (`app/database[/tenant or shard]`). */
  target: string;
  /** The database's key in the app's config. */
  database: string;
  /** A tenant target: the tenant as discovery saw it, so the worker does not discover again. */
  /** `registration.id` (the tenant's id again) is for workers of versions that read it there. */
  tenant?: { id: string; attributes: Record<string, unknown>; registration: (Registration & { id?: string }) | null };
  /** The command, serialisable (see encodeCommand). */
  command: EncodedCommand;
  /** The server the target lives on (`host:port`) and that server's connection budget for the run. */
  server: string;
  budget: number;
}

export type EncodedCommand = Omit<TargetCommand, 'refuseByTrack'> & { refuseByTrack?: Array<[string, Array<[string, string]>]> };

/** `refuseByTrack` is a Map of Maps (what the tenant lint refused, by track): JSON has none. */
export function encodeCommand(command: TargetCommand): EncodedCommand {
  if (command.kind !== 'migrate' || !command.refuseByTrack) return { ...command } as EncodedCommand;
  const { refuseByTrack, ...rest } = command;
  return { ...rest, refuseByTrack: [...refuseByTrack].map(([track, refused]) => [track, [...refused]]) } as EncodedCommand;
}

export function decodeCommand(encoded: EncodedCommand): TargetCommand {
  if (encoded.kind !== 'migrate' || !encoded.refuseByTrack) return { ...encoded } as TargetCommand;
  const { refuseByTrack, ...rest } = encoded as EncodedCommand & { kind: 'migrate' };
  return { ...rest, refuseByTrack: new Map(refuseByTrack!.map(([track, refused]) => [track, new Map(refused)])) } as TargetCommand;
}
