import { colorsFor, plain, styler } from './style';
import { formatRunReport } from './text-format';

describe('colour (no database)', () => {
  it('on for a terminal; NO_COLOR wins; FORCE_COLOR turns it on anywhere (0: off); never for dumb terminals', () => {
    expect(colorsFor({ isTTY: true }, {})).toBe(true);
    expect(colorsFor({ isTTY: false }, {})).toBe(false);
    expect(colorsFor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorsFor({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colorsFor({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorsFor({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorsFor({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });

  it("under Nx (its FORCE_COLOR=true in every task), colour only on a terminal: none in CI logs; NO_COLOR and the user's own FORCE_COLOR still count", () => {
    const nx = { FORCE_COLOR: 'true', NX_TASK_TARGET_PROJECT: 'api' };
    expect(colorsFor({ isTTY: false }, nx)).toBe(false);
    expect(colorsFor({ isTTY: true }, nx)).toBe(true);
    expect(colorsFor({ isTTY: true }, { ...nx, NO_COLOR: '1' })).toBe(false);
    expect(colorsFor({ isTTY: false }, { ...nx, FORCE_COLOR: '1' })).toBe(true);
    expect(colorsFor({ isTTY: true }, { ...nx, FORCE_COLOR: '0' })).toBe(false);
    expect(colorsFor({ isTTY: false }, { FORCE_COLOR: 'true' })).toBe(true); // not under Nx: the user asked
  });

  it('reports colour their state words only when asked', () => {
    const report = {
      command: 'migrate',
      ok: false,
      startedAt: '',
      durationMs: 10,
      summary: { targets: 2, changed: 1, unchanged: 0, failed: 1, blocked: 0, notRun: 0 },
      results: [
        {
          target: 'a/b',
          app: 'a',
          database: 'b',
          schema: 'public',
          tenant: null,
          outcome: 'changed',
          applied: ['M1'],
          skipped: [],
          reverted: [],
          recorded: [],
          failed: null,
          findings: [],
          versionBefore: null,
          versionAfter: 'M1',
          durationMs: 1,
        },
        {
          target: 'a/c',
          app: 'a',
          database: 'c',
          schema: 'public',
          tenant: null,
          outcome: 'failed',
          applied: [],
          skipped: [],
          reverted: [],
          recorded: [],
          failed: { migration: 'M1', error: { code: 'X', message: 'boom' } },
          findings: [],
          versionBefore: null,
          versionAfter: null,
          durationMs: 1,
        },
      ],
    } as Parameters<typeof formatRunReport>[0];
    const colored = formatRunReport(report, styler(true));
    expect(colored).toContain('\u001b[32mok     \u001b[39m a/b');
    expect(colored).toContain('\u001b[31mFAILED \u001b[39m a/c');
    expect(formatRunReport(report, plain)).not.toContain('\u001b[');
  });
});
