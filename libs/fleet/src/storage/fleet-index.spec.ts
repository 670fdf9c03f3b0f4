import type { MigrationDefinition } from '../migration/migration';
import type { AppliedRecord } from '../planner/planner';
import { historyFromIndex, indexKey, IndexRow, indexRowOf, prefixDigests } from './fleet-index';
import { planRepairs } from './index-repair';

const m = (name: string, checksum = `sum-${name}`): MigrationDefinition =>
  ({ name, timestamp: Number(name.replace(/\D/g, '')), checksum, transactional: true, source: name, instance: {} }) as unknown as MigrationDefinition;
const rec = (name: string, status: AppliedRecord['status'] = 'applied', checksum: string | null = `sum-${name}`): AppliedRecord => ({
  name,
  timestamp: Number(name.replace(/\D/g, '')),
  checksum,
  status,
  method: 'run',
  appliedAt: '',
  durationMs: null,
  reason: null,
});

const CODE = [m('A1000'), m('B2000'), m('C3000')];
const PREFIXES = prefixDigests(CODE);

describe('fleet index rows', () => {
  it("a history holding the code's first n migrations is rebuilt from its row, skipped ones marked", () => {
    const row = indexRowOf('tenant_a', 'fleet_migrations', [rec('A1000'), rec('B2000', 'skipped')]);
    expect(row).toMatchObject({ head: 'A1000', applied: 1, done: 2, skipped: ['B2000'], started: null });
    expect(historyFromIndex(CODE, PREFIXES, row)?.map((r) => [r.name, r.status])).toEqual([
      ['A1000', 'applied'],
      ['B2000', 'skipped'],
    ]);
    expect(historyFromIndex(CODE, PREFIXES, indexRowOf('s', 't', []))).toEqual([]);
  });

  it('a row proves nothing when the order, a checksum, the names or an interruption differ from the code', () => {
    const rows = [
      indexRowOf('s', 't', [rec('B2000'), rec('A1000')]), // another order
      indexRowOf('s', 't', [rec('A1000', 'applied', 'edited')]), // checksum changed
      indexRowOf('s', 't', [rec('A1000', 'applied', null)]), // no checksum recorded
      indexRowOf('s', 't', [rec('A1000'), rec('Z9000')]), // a migration the code lacks
      indexRowOf('s', 't', [rec('A1000'), rec('B2000', 'started')]), // interrupted
      indexRowOf('s', 't', [rec('A1000'), rec('B2000'), rec('C3000'), rec('D4000')]), // more than the code has
    ];
    for (const row of rows) expect(historyFromIndex(CODE, PREFIXES, row)).toBeNull();
  });

  it('repairs: adds missing rows, corrects differing ones, removes rows of targets that are gone only when the run covered them all', () => {
    const truth = (schema: string, records: AppliedRecord[]) => ({ target: `fx/main/${schema}`, schema, versionTable: 'v', row: indexRowOf(schema, 'v', records) });
    const stored = (schema: string, records: AppliedRecord[]): IndexRow => ({
      ...indexRowOf(schema, 'v', records),
      updatedAt: '2026-12-04 10:00:00.123456+00',
      sinceVerify: false,
    });
    const indexed = new Map(
      [stored('same', [rec('A1000')]), stored('differs', [rec('A1000'), rec('B2000')]), stored('gone', [rec('A1000')]), stored('emptied', [rec('A1000')])].map((r) => [
        indexKey(r.schema, 'v'),
        r,
      ]),
    );
    const truths = [truth('same', [rec('A1000')]), truth('differs', [rec('A1000')]), truth('new', [rec('A1000')]), truth('emptied', []), truth('never', [])];
    const all = planRepairs(indexed, truths, true);
    expect(all.map((r) => [r.target, r.change, r.seen])).toEqual([
      ['fx/main/differs', 'corrected', '2026-12-04 10:00:00.123456+00'],
      ['fx/main/new', 'added', null],
      ['fx/main/emptied', 'removed', '2026-12-04 10:00:00.123456+00'],
      ['gone.v', 'removed', '2026-12-04 10:00:00.123456+00'],
    ]);
    expect(all[0]).toMatchObject({ was: { head: 'B2000', applied: 2 }, now: { head: 'A1000', applied: 1 } });
    expect(planRepairs(indexed, truths, false).map((r) => r.target)).not.toContain('gone.v');
  });
});
