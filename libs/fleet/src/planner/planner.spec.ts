import { AppliedRecord, AvailableMigration, planRevert, planStamp, planUpgrade, targetState, describeFinding } from './planner';

const m = (name: string, timestamp: number, checksum = `c-${name}`): AvailableMigration => ({ name, timestamp, checksum, transactional: true });
const applied = (mig: AvailableMigration, over: Partial<AppliedRecord> = {}): AppliedRecord => ({
  name: mig.name,
  timestamp: mig.timestamp,
  checksum: mig.checksum,
  status: 'applied',
  method: 'run',
  appliedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 1,
  reason: null,
  ...over,
});

const A = m('A1', 1);
const B = m('B2', 2);
const C = m('C3', 3);

describe('planUpgrade', () => {
  it('applies every pending migration in timestamp order', () => {
    const plan = planUpgrade([C, A, B], []);
    expect(plan.blocked).toBe(false);
    expect(plan.steps).toEqual([
      { action: 'apply', migration: 'A1' },
      { action: 'apply', migration: 'B2' },
      { action: 'apply', migration: 'C3' },
    ]);
  });

  it('plans nothing when everything is applied', () => {
    expect(planUpgrade([A, B], [applied(A), applied(B)])).toEqual({ steps: [], findings: [], blocked: false });
  });

  it('stops at --to (inclusive)', () => {
    expect(planUpgrade([A, B, C], [], { to: 'B2' }).steps.map((s) => s.migration)).toEqual(['A1', 'B2']);
  });

  it('blocks on an unknown --to', () => {
    const plan = planUpgrade([A], [], { to: 'Nope9' });
    expect(plan.blocked).toBe(true);
    expect(plan.steps).toEqual([]);
    expect(plan.findings[0]).toMatchObject({ kind: 'unknown-migration', migration: 'Nope9' });
  });

  it('blocks when an applied migration was edited, naming it and the fix', () => {
    const plan = planUpgrade([A, B, C], [applied(A, { checksum: 'old' }), applied(B)]);
    expect(plan.blocked).toBe(true);
    expect(plan.steps).toEqual([]);
    expect(plan.findings).toEqual([{ kind: 'checksum-mismatch', severity: 'error', migration: 'A1', recorded: 'old', current: 'c-A1', currentVersion: 'B2' }]);
    expect(describeFinding(plan.findings[0])).toContain('stamp --to B2');
  });

  it('blocks when an applied migration is missing from the code', () => {
    const gone = m('Gone5', 5);
    const plan = planUpgrade([A], [applied(A), applied(gone)]);
    expect(plan.blocked).toBe(true);
    expect(plan.findings).toEqual([{ kind: 'missing-from-code', severity: 'error', migration: 'Gone5' }]);
    expect(describeFinding(plan.findings[0])).toMatch(/missing from the code/);
  });

  it('blocks a pending migration ordered before an applied one, unless allowed', () => {
    const blocked = planUpgrade([A, B, C], [applied(A), applied(C)]);
    expect(blocked.blocked).toBe(true);
    expect(blocked.findings).toEqual([{ kind: 'out-of-order', severity: 'error', migration: 'B2', appliedAfter: 'C3' }]);

    const allowed = planUpgrade([A, B, C], [applied(A), applied(C)], { allowOutOfOrder: true });
    expect(allowed.blocked).toBe(false);
    expect(allowed.steps).toEqual([{ action: 'apply', migration: 'B2' }]);
    expect(allowed.findings[0].severity).toBe('warning');
  });

  it('blocks on an interrupted non-transactional migration', () => {
    const plan = planUpgrade([A, B], [applied(A, { status: 'started' })]);
    expect(plan.blocked).toBe(true);
    expect(plan.findings[0]).toMatchObject({ kind: 'interrupted', migration: 'A1' });
  });

  it('treats skipped (conditional) migrations as done', () => {
    expect(planUpgrade([A, B], [applied(A, { status: 'skipped' })]).steps).toEqual([{ action: 'apply', migration: 'B2' }]);
  });

  it('accepts a null checksum (history adopted without one)', () => {
    expect(planUpgrade([A], [applied(A, { checksum: null })]).blocked).toBe(false);
  });
});

describe('planRevert', () => {
  const history = [applied(A), applied(B), applied(C)];

  it('reverts the newest migration by default', () => {
    expect(planRevert([A, B, C], history).steps).toEqual([{ action: 'revert', migration: 'C3' }]);
  });

  it('--to a migration this target has not applied: nothing after it to revert here, not an error', () => {
    const behind = planRevert([A, B, C], [applied(A)], { to: 'B2' });
    expect(behind).toMatchObject({ steps: [], blocked: false });
    expect(planRevert([A, B, C], [applied(A)], { to: 'Nope9' }).findings[0]).toMatchObject({ kind: 'unknown-migration' });
  });

  it('reverts N steps newest first', () => {
    expect(planRevert([A, B, C], history, { steps: 2 }).steps.map((s) => s.migration)).toEqual(['C3', 'B2']);
  });

  it('reverts everything after --to, and everything with base', () => {
    expect(planRevert([A, B, C], history, { to: 'A1' }).steps.map((s) => s.migration)).toEqual(['C3', 'B2']);
    expect(planRevert([A, B, C], history, { to: 'base' }).steps.map((s) => s.migration)).toEqual(['C3', 'B2', 'A1']);
  });

  it('only unrecords a skipped migration', () => {
    expect(planRevert([A, B], [applied(A), applied(B, { status: 'skipped' })]).steps).toEqual([{ action: 'unrecord', migration: 'B2' }]);
  });

  it('blocks on an unknown --to and on an edited migration', () => {
    expect(planRevert([A, B], [applied(A)], { to: 'Nope9' }).blocked).toBe(true);
    expect(planRevert([A, B], [applied(A), applied(B, { checksum: 'x' })]).blocked).toBe(true);
  });

  it('warns when nothing is applied', () => {
    const plan = planRevert([A], []);
    expect(plan.steps).toEqual([]);
    expect(plan.blocked).toBe(false);
    expect(plan.findings[0].kind).toBe('nothing-to-revert');
  });
});

describe('planStamp', () => {
  it('records up to --to and unrecords what is after it', () => {
    expect(planStamp([A, B, C], [applied(A)], 'B2').steps).toEqual([{ action: 'record', migration: 'B2' }]);
    expect(planStamp([A, B, C], [applied(A), applied(B), applied(C)], 'A1', { force: true }).steps).toEqual([
      { action: 'unrecord', migration: 'C3' },
      { action: 'unrecord', migration: 'B2' },
    ]);
  });

  it('accepts edited checksums and clears interrupted rows', () => {
    expect(planStamp([A, B], [applied(A, { checksum: 'old' }), applied(B, { status: 'started' })], 'B2').steps).toEqual([
      { action: 'update-checksum', migration: 'A1' },
      { action: 'update-checksum', migration: 'B2' },
    ]);
  });

  it('removes rows of migrations that left the code', () => {
    expect(planStamp([A], [applied(A), applied(m('Gone9', 9))], 'A1').steps).toEqual([{ action: 'unrecord', migration: 'Gone9' }]);
  });

  it('never un-records an applied migration without --force (the next migrate would run it again)', () => {
    const refused = planStamp([A, B], [applied(A), applied(B)], 'A1');
    expect(refused).toMatchObject({ blocked: true, steps: [], findings: [{ kind: 'stamp-unrecords', unrecorded: ['B2'] }] });
    expect(describeFinding(refused.findings[0])).toMatch(/use revert; .*pass --force/);
    expect(planStamp([A, B], [applied(A)], 'base').blocked).toBe(true);
    expect(planStamp([A, B], [applied(A)], 'base', { force: true }).steps).toEqual([{ action: 'unrecord', migration: 'A1' }]);
    // An interrupted row is not "applied": stamping back over it needs no force.
    expect(planStamp([A, B], [applied(A), applied(B, { status: 'started' })], 'A1').steps).toEqual([{ action: 'unrecord', migration: 'B2' }]);
  });
});

describe('targetState', () => {
  it('classifies at-head, pending, diverged and failed', () => {
    expect(targetState([A], [applied(A)]).state).toBe('at-head');
    expect(targetState([A, B], [applied(A)])).toMatchObject({ state: 'pending', pending: ['B2'] });
    expect(targetState([A], [applied(A, { checksum: 'x' })]).state).toBe('diverged');
    expect(targetState([A], [applied(A, { status: 'started' })]).state).toBe('failed');
  });
});
