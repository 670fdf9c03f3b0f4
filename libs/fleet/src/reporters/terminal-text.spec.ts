import { blankResult, summarize, type RunReport, type TargetResult } from '../executor/result';
import { ProgressReporter } from './progress-reporter';
import { printable, printableLines } from '../terminal-text';
import { formatRunReport, formatStatus, formatVerify } from './text-format';

/** A registry id crafted to print a line of its own, recolour the terminal and reverse text. */
const CRAFTED = 'acme\nFAILED  fx/main/globex  at X: boom\r\u001b[31mred\u0007\u202eevil\u0085';
const target = `fx/main/${CRAFTED}`;
const LINE_STARTS = /^(ok|FAILED|NOT RUN|BLOCKED|ORPHAN|STRAGGLER|PENDING|AT-HEAD|fx\/main)/;

function crafted(outcome: TargetResult['outcome']): TargetResult {
  return {
    ...blankResult({ target, app: 'fx', database: 'main', schema: `tenant_${CRAFTED}`, tenant: CRAFTED }),
    outcome,
    failed: outcome === 'changed' ? null : { migration: null, error: { message: `Invalid tenant id ${CRAFTED}` } },
  };
}

/** Every line that begins like a report line names the crafted target escaped, never a forged one. */
function expectNoForgedLine(text: string): void {
  // eslint-disable-next-line no-control-regex
  expect(text).not.toMatch(/[\r\u0007\u001b\u0085\u202e]/);
  const lines = text.split('\n');
  expect(lines.filter((l) => /^FAILED\s+fx\/main\/globex/.test(l))).toEqual([]);
  for (const l of lines.filter((l) => LINE_STARTS.test(l) && l.includes('acme')))
    expect(l).toContain('acme\\nFAILED  fx/main/globex  at X: boom\\r\\e[31mred\\x07\\u202eevil\\x85');
}

describe('text for a terminal or a log escapes control characters of ids, names and errors', () => {
  it('escapes one value onto one line, and keeps the newlines of a multi-line message only', () => {
    expect(printable('a\nb\tc\u001b[2Kd\u0000\u2028')).toBe('a\\nb\\tc\\e[2Kd\\x00\\u2028');
    expect(printableLines('line 1\nline\u001b 2')).toBe('line 1\nline\\e 2');
    expect(printable('tenant_acme')).toBe('tenant_acme');
  });

  it('the run report (a crafted registry id printed a fake FAILED line)', () => {
    const results = [crafted('not-run'), crafted('failed')];
    const report: RunReport = { command: 'migrate', ok: false, startedAt: new Date(0).toISOString(), durationMs: 1, summary: summarize(results), results };
    const text = formatRunReport(report);
    expectNoForgedLine(text);
    expect(text.split('\n')).toHaveLength(3); // two targets and the summary
  });

  it('the progress view', () => {
    let out = '';
    const reporter = new ProgressReporter((t) => (out += t), { isTTY: false, verbose: true });
    reporter.listener({ type: 'run-start', command: 'migrate', targets: 1, concurrency: 1 });
    reporter.listener({ type: 'migration-end', target, migration: `M1\n${CRAFTED}`, direction: 'up', outcome: 'failed', reason: `boom\n${CRAFTED}`, durationMs: 1 });
    reporter.listener({ type: 'target-end', result: crafted('failed') });
    reporter.listener({ type: 'notice', message: `Created database ${CRAFTED}` });
    expectNoForgedLine(out);
    expect(out.trimEnd().split('\n')).toHaveLength(4);
  });

  it('status and verify (orphans, stragglers)', () => {
    const status = {
      app: 'fx',
      targets: [
        {
          target,
          app: 'fx',
          database: 'main',
          tenant: CRAFTED,
          state: 'pending',
          version: null,
          pending: [`M1${CRAFTED}`],
          skipped: [],
          findings: [],
          note: CRAFTED,
          error: { message: CRAFTED },
        },
      ],
      orphans: [{ database: 'main', name: `tenant_${CRAFTED}` }],
      next: [],
      summary: { targets: 1, 'at-head': 0, pending: 1, diverged: 0, failed: 0, missing: 0 },
    };
    expectNoForgedLine(formatStatus(status as never));
    const verify = {
      app: 'fx',
      ok: false,
      targets: 1,
      atHead: 0,
      heads: {},
      stragglers: [{ target, state: 'pending', version: null, pending: [], problem: CRAFTED }],
      orphans: status.orphans,
      index: {
        databases: 1,
        built: [],
        builtRows: 0,
        repaired: { added: 0, corrected: 1, removed: 0 },
        repairs: [{ target, change: 'corrected', was: { head: CRAFTED, applied: 1, skipped: 0, started: null }, now: null }],
        unproven: [{ index: CRAFTED, reason: CRAFTED }],
        stamped: false,
      },
    };
    expectNoForgedLine(formatVerify(verify as never));
  });
});
