/**
 * Which Node.js each part of Fleet needs. Fleet itself (TypeORM 1.x, `require` of ES modules):
 * 20.19. Queue mode (`migrate --queue`, `fleet worker`, `fleet run status|wait`): what pg-boss
 * 12 declares, 22.12. Queue mode checks before it opens anything, so an older Node fails at once
 * with the version it needs instead of part-way through a run.
 */
import { ConfigError } from '../errors';

export const NODE_FLOOR = '20.19.0';
export const QUEUE_NODE_FLOOR = '22.12.0';
/** Runs queue mode on a Node older than pg-boss declares (pg-boss 12.38 loaded and passed Fleet's queue tests on 20.20). */
export const UNSUPPORTED_NODE_VARIABLE = 'FLEET_QUEUE_UNSUPPORTED_NODE';

/** True when `version` (`20.20.2`, `v22.12.0`) is `floor` or newer. */
export function nodeAtLeast(version: string, floor: string): boolean {
  const parts = (v: string) => v.replace(/^v/, '').split(/[.-]/).slice(0, 3).map(Number);
  const [a, b] = [parts(version), parts(floor)];
  for (let i = 0; i < 3; i++) {
    if ((a[i] || 0) !== (b[i] || 0)) return (a[i] || 0) > (b[i] || 0);
  }
  return true;
}

/**
 * Throws (exit 2, nothing ran) when queue mode cannot run on this Node.js: `what` names the
 * command. `FLEET_QUEUE_UNSUPPORTED_NODE=1` runs it anyway (at the user's risk).
 */
export function assertQueueNode(what: string, env: NodeJS.ProcessEnv = process.env, version: string = process.versions.node): void {
  if (nodeAtLeast(version, QUEUE_NODE_FLOOR)) return;
  if (env[UNSUPPORTED_NODE_VARIABLE] === '1') return;
  throw new ConfigError(
    `${what} needs Node.js >= ${QUEUE_NODE_FLOOR.replace(/\.0$/, '')} (queue mode runs on pg-boss 12, which requires it); this is Node.js ${version}. ` +
      `Run the coordinator and the workers on Node.js ${QUEUE_NODE_FLOOR.replace(/\.0$/, '')} or newer, or migrate without --queue (Node.js >= ${NODE_FLOOR.replace(/\.0$/, '')}). ` +
      `${UNSUPPORTED_NODE_VARIABLE}=1 runs it anyway, unsupported.`,
    { node: version, needs: QUEUE_NODE_FLOOR },
  );
}
