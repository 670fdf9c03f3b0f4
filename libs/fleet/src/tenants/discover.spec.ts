/** Tenant discovery from a query's rows: ids alone, ids with attributes, and ids that are not safe. */
import { NO_ATTRIBUTES } from '../targets/target';
import { discoverTenants } from './discover';

const fromRows = (rows: Array<Record<string, unknown>>) => discoverTenants({ sql: 'SELECT id FROM tenants' }, { app: 'app', database: 'main', query: async <T>() => rows as T[] });

describe('discoverTenants from SQL rows', () => {
  it('rows of an id alone: tenants sorted, de-duplicated, sharing the one empty attributes object', async () => {
    const { tenants, invalid } = await fromRows([{ id: 'b2' }, { id: 'a1' }, { id: 'b2' }, { id: 7 }]);
    expect(tenants.map((t) => t.id)).toEqual(['7', 'a1', 'b2']);
    for (const t of tenants) expect(t.attributes).toBe(NO_ATTRIBUTES);
    expect(invalid).toEqual([]);
  });

  it('a NULL or unsafe id among them is reported, as with attribute columns, and the others stay', async () => {
    const idsOnly = await fromRows([{ id: 'a1' }, { id: null }, { id: 'Bad-Id' }]);
    const withPlan = await fromRows([
      { id: 'a1', plan: 'pro' },
      { id: null, plan: 'free' },
      { id: 'Bad-Id', plan: 'free' },
    ]);
    expect(idsOnly.tenants.map((t) => t.id)).toEqual(['a1']);
    expect(idsOnly.invalid).toEqual(withPlan.invalid);
    expect(idsOnly.invalid.map((i) => i.id)).toEqual(['null', 'Bad-Id']);
    expect(idsOnly.invalid[0].reason).toMatch(/empty or not a string/);
    expect(withPlan.tenants).toEqual([{ id: 'a1', attributes: { plan: 'pro' } }]);
  });
});
