import { blankResult, ResultCompactor } from './result';

const result = (tenant: string, applied: string[]) => ({
  ...blankResult({ target: `app/db/${tenant}`, app: 'app', database: 'db', schema: `tenant_${tenant}`, tenant }),
  outcome: 'changed' as const,
  applied,
});

describe('ResultCompactor', () => {
  it('gives equal lists of migrations one shared, frozen array and every empty list the same one', () => {
    const compactor = new ResultCompactor();
    const a = compactor.compact(result('a', ['M1', 'M2']));
    const b = compactor.compact(result('b', ['M1', 'M2']));
    const c = compactor.compact(result('c', ['M1']));
    expect(b.applied).toBe(a.applied);
    expect(a.applied).toEqual(['M1', 'M2']);
    expect(c.applied).toEqual(['M1']);
    expect(Object.isFrozen(a.applied)).toBe(true);
    expect(a.reverted).toBe(b.recorded);
    expect(a.skipped).toBe(c.findings);
    expect(a.reverted).toEqual([]);
    expect(() => (a.applied as string[]).push('M3')).toThrow();
  });

  it('leaves a non-empty list of skipped migrations or findings as it was', () => {
    const r = result('a', []);
    r.skipped = [{ migration: 'M1', reason: 'does not apply' }];
    const skipped = r.skipped;
    expect(new ResultCompactor().compact(r).skipped).toBe(skipped);
  });
});
