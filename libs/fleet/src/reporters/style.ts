/**
 * Colour for text reports, through Node's util.styleText. On only where a person reads it: a
 * terminal (stdout is a TTY and TERM is not `dumb`), unless NO_COLOR is set (no-color.org).
 * FORCE_COLOR=0 (or `false`) turns it off; another FORCE_COLOR value turns it on anywhere,
 * except the `FORCE_COLOR=true` that Nx puts in every task's environment whether or not anyone
 * reads the output on a terminal (it would put escape codes in CI logs): under Nx a terminal is
 * seen as one (Nx gives its tasks a pseudo-terminal when it has one itself). JSON never has colour.
 */
import { styleText } from 'node:util';

export type Tone = 'green' | 'yellow' | 'red' | 'magenta' | 'cyan' | 'dim' | 'bold';
export type Style = (tone: Tone, text: string) => string;

export const plain: Style = (_tone, text) => text;

export function colorsFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force === '0' || force === 'false') return false;
  // Nx's default for its tasks (nx/src/tasks-runner/task-env.js), not the user's wish.
  const setByNx = force === 'true' && env.NX_TASK_TARGET_PROJECT !== undefined;
  if (force !== undefined && !setByNx) return true;
  return !!stream.isTTY && env.TERM !== 'dumb';
}

export function styler(enabled: boolean): Style {
  return enabled ? (tone, text) => styleText(tone, text, { validateStream: false }) : plain;
}

/** The tone of a state or outcome word in reports. */
export function toneOf(state: string): Tone | null {
  switch (state) {
    case 'at-head':
    case 'ok':
    case 'clean':
      return 'green';
    case 'pending':
    case 'straggler':
      return 'yellow';
    case 'failed':
    case 'error':
    case 'drift':
      return 'red';
    case 'diverged':
    case 'blocked':
    case 'missing':
      return 'magenta';
    default:
      return null;
  }
}
