/**
 * Text for a terminal or a log, from values Fleet does not control (tenant ids from a registry,
 * schema and migration names, error messages from the server): control characters are shown
 * escaped, never sent. A registry id holding a newline, a carriage return or an escape sequence
 * would otherwise print a line of its own (a fake `FAILED ...`), move the cursor or recolour the
 * terminal; bidirectional overrides would reorder what is read. The HTML view escapes for HTML.
 */

/** C0 and C1 controls, DEL, the Unicode line and paragraph separators, bidirectional overrides and isolates. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

function escapeOne(ch: string): string {
  const code = ch.charCodeAt(0);
  return NAMED[ch] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/** One value on one line: every control character escaped (`\n`, `\e`, `\x07`, `\u202e`). */
export function printable(value: unknown): string {
  return String(value).replace(UNSAFE, escapeOne);
}

/** A message that may span lines (Fleet's own multi-line errors): controls escaped, newlines kept. */
export function printableLines(value: unknown): string {
  return String(value).replace(UNSAFE_BUT_NEWLINE, escapeOne);
}
