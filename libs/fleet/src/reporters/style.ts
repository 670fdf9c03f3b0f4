/**
 * Colour for text reports, through Node's util.styleText. On only where a person reads it: a
 * terminal, unless NO_COLOR is set (no-color.org); FORCE_COLOR turns it on anywhere (and
 * FORCE_COLOR=0 off). JSON never has colour.
 */
import { styleText } from 'node:util';

export type Tone = 'green' | 'yellow' | 'red' | 'magenta' | 'cyan' | 'dim' | 'bold';
export type Style = (tone: Tone, text: string) => string;

export const plain: Style = (_tone, text) => text;

export function colorsFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
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
