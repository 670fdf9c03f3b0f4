import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintRiskySql, MigrationSql } from './risky-sql';
import { ALL_RULES, RISKY_RULES } from './rules';
import { directivesAbove, parseDirective } from './suppressions';

const migration = (sqls: string[], transactional = true, name = 'M1'): MigrationSql => ({ name, transactional, issued: sqls.map((sql) => ({ sql, line: null, directives: [] })) });
/** The codes (severity:code) a migration raises, after a first migration that created the tables it touches. */
const codes = async (sqls: string[], options: { transactional?: boolean; lockTimeoutMs?: number; setup?: string[] } = {}) => {
  const setup = options.setup ?? ['CREATE TABLE t (id int PRIMARY KEY, a int, b text)', 'CREATE TABLE u (id int PRIMARY KEY)'];
  const findings = await lintRiskySql([migration(setup, true, 'M0'), migration(sqls, options.transactional ?? true)], { lockTimeoutMs: options.lockTimeoutMs ?? 5000 });
  return findings.map((f) => `${f.severity}:${f.code}`);
};

describe('risky SQL (PostgreSQL parser, no database)', () => {
  // One failing and one passing example per rule.
  const cases: Array<{ code: string; bad: string[]; good: string[]; transactional?: boolean; lockTimeoutMs?: number }> = [
    { code: 'FLEET101', bad: ['CREATE INDEX ix ON t (a)'], good: ['CREATE INDEX CONCURRENTLY ix ON t (a)'], transactional: false },
    { code: 'FLEET101', bad: ['REINDEX TABLE t'], good: ['REINDEX TABLE CONCURRENTLY t'], transactional: false },
    { code: 'FLEET102', bad: ['ALTER TABLE t ADD COLUMN c int NOT NULL'], good: ['ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0'] },
    { code: 'FLEET103', bad: ['ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid()'], good: ['ALTER TABLE t ADD COLUMN c timestamptz NOT NULL DEFAULT now()'] },
    { code: 'FLEET103', bad: ['ALTER TABLE t ADD COLUMN c bigserial'], good: ['ALTER TABLE t ADD COLUMN c bigint'] },
    { code: 'FLEET103', bad: ['ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (a * 2) STORED'], good: ['ALTER TABLE t ALTER COLUMN b SET DEFAULT random()'] },
    { code: 'FLEET104', bad: ['ALTER TABLE t ALTER COLUMN a TYPE bigint'], good: ['ALTER TABLE t ALTER COLUMN a SET DEFAULT 1'] },
    {
      code: 'FLEET105',
      bad: ['ALTER TABLE t ALTER COLUMN a SET NOT NULL'],
      good: ['ALTER TABLE t ADD CONSTRAINT t_a_nn CHECK (a IS NOT NULL) NOT VALID', 'ALTER TABLE t VALIDATE CONSTRAINT t_a_nn', 'ALTER TABLE t ALTER COLUMN a SET NOT NULL'],
    },
    {
      code: 'FLEET106',
      bad: ['ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id)'],
      good: ['ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id) NOT VALID'],
    },
    {
      code: 'FLEET106',
      bad: ['ALTER TABLE t ADD CONSTRAINT ck CHECK (a > 0)'],
      good: ['ALTER TABLE t ADD CONSTRAINT ck CHECK (a > 0) NOT VALID', 'ALTER TABLE t VALIDATE CONSTRAINT ck'],
    },
    { code: 'FLEET107', bad: ['ALTER TABLE t RENAME COLUMN a TO c'], good: ['ALTER INDEX t_pkey RENAME TO t_pk'] },
    { code: 'FLEET107', bad: ['ALTER TABLE t RENAME TO t2'], good: ['CREATE TABLE n (id int)', 'ALTER TABLE n RENAME TO n2'] },
    { code: 'FLEET108', bad: ['ALTER TABLE t DROP COLUMN b'], good: ['ALTER TABLE t ALTER COLUMN b DROP DEFAULT'] },
    { code: 'FLEET109', bad: ['DROP TABLE u'], good: ['CREATE TABLE tmp (id int)', 'DROP TABLE tmp'] },
    { code: 'FLEET110', bad: ['CREATE INDEX CONCURRENTLY ix ON t (a)'], good: ['CREATE TABLE n (id int)', 'CREATE INDEX ix ON n (id)'] },
    { code: 'FLEET111', bad: ['ALTER TABLE t ADD COLUMN c int'], good: ["SET lock_timeout = '3s'", 'ALTER TABLE t ADD COLUMN c int'], lockTimeoutMs: 0 },
    { code: 'FLEET112', bad: ['ALTER TABLE t ADD CONSTRAINT uq UNIQUE (a)'], good: ['ALTER TABLE t ADD CONSTRAINT uq UNIQUE USING INDEX ix_t_a'] },
    { code: 'FLEET113', bad: ['DROP INDEX ix_t_a'], good: ['DROP INDEX CONCURRENTLY ix_t_a'], transactional: false },
  ];

  it.each(cases)('$code: flags $bad.0, passes $good.0', async ({ code, bad, good, transactional, lockTimeoutMs }) => {
    const rule = RISKY_RULES.find((r) => r.code === code)!;
    expect(await codes(bad, { transactional, lockTimeoutMs })).toEqual([`${rule.severity}:${code}`]);
    expect(await codes(good, { transactional, lockTimeoutMs })).toEqual([]);
  });

  it('every rule has a failing example here', () => {
    expect([...new Set(cases.map((c) => c.code))].sort()).toEqual(RISKY_RULES.map((r) => r.code).sort());
  });

  it('a table the migration itself created is never risky, whatever is done to it', async () => {
    const sqls = [
      'CREATE TABLE n (id int, a int)',
      'CREATE INDEX ix_n ON n (a)',
      'ALTER TABLE n ADD COLUMN b int NOT NULL, ALTER COLUMN a TYPE bigint, ALTER COLUMN a SET NOT NULL, ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id), DROP COLUMN b',
    ];
    expect(await codes(sqls)).toEqual([]);
    // ... but in the next migration it is an existing table.
    const next = await lintRiskySql([migration(sqls, true, 'M0'), migration(['CREATE INDEX ix2 ON n (id)'])], { lockTimeoutMs: 5000 });
    expect(next.map((f) => f.code)).toEqual(['FLEET101']);
  });

  it('a validated CHECK from an earlier migration allows SET NOT NULL; a NOT VALID one does not', async () => {
    const setup = ['CREATE TABLE t (a int)'];
    const checks = (validate: boolean) =>
      migration(['ALTER TABLE t ADD CONSTRAINT nn CHECK (a IS NOT NULL) NOT VALID', ...(validate ? ['ALTER TABLE t VALIDATE CONSTRAINT nn'] : [])], true, 'M1');
    const run = (validate: boolean) =>
      lintRiskySql([migration(setup, true, 'M0'), checks(validate), migration(['ALTER TABLE t ALTER COLUMN a SET NOT NULL'], true, 'M2')], { lockTimeoutMs: 5000 });
    expect((await run(true)).map((f) => f.code)).toEqual([]);
    expect((await run(false)).map((f) => `${f.migration}:${f.code}`)).toEqual(['M2:FLEET105']);
  });

  it('now() and constants are not volatile defaults; random(), clock_timestamp(), uuid_generate_v4() are', async () => {
    for (const d of ['now()', 'CURRENT_TIMESTAMP', "'x'", '0', "'{}'::jsonb", 'statement_timestamp()'])
      expect(await codes([`ALTER TABLE t ADD COLUMN c text DEFAULT ${d}`])).toEqual([]);
    for (const d of ['random()', 'clock_timestamp()', 'uuid_generate_v4()', '(random() * 10)::int', "nextval('s')"])
      expect(await codes([`ALTER TABLE t ADD COLUMN c text DEFAULT ${d}`])).toEqual(['error:FLEET103']);
  });

  it('a lock timeout: one finding per migration, none when Fleet sets one, SET lock_timeout = 0 is not one', async () => {
    expect(await codes(['ALTER TABLE t ADD COLUMN c int', 'ALTER TABLE t ADD COLUMN d int'], { lockTimeoutMs: 0 })).toEqual(['warning:FLEET111']);
    expect(await codes(['ALTER TABLE t ADD COLUMN c int'], { lockTimeoutMs: 2000 })).toEqual([]);
    expect(await codes(['SET lock_timeout = 0', 'ALTER TABLE t ADD COLUMN c int'], { lockTimeoutMs: 0 })).toEqual(['warning:FLEET111']);
    expect(await codes(["SELECT set_config('lock_timeout', '2s', true)", 'ALTER TABLE t ADD COLUMN c int'], { lockTimeoutMs: 0 })).toEqual([]);
    // A new table referencing an existing one locks that one too.
    expect(await codes(['CREATE TABLE n (id int REFERENCES u (id))'], { lockTimeoutMs: 0 })).toEqual(['warning:FLEET111']);
    expect(await codes(['CREATE TABLE n (id int)'], { lockTimeoutMs: 0 })).toEqual([]);
  });

  describe('suppression', () => {
    it('a comment before the statement, naming the code and a reason, turns the finding into a note carrying the reason', async () => {
      const findings = await lintRiskySql(
        [
          migration(['CREATE TABLE t (a int)'], true, 'M0'),
          migration([
            'ALTER TABLE t ADD COLUMN x int; -- fleet-lint-disable-next-statement FLEET108: no code reads b since v2\nALTER TABLE t DROP COLUMN a; ALTER TABLE t DROP COLUMN x',
          ]),
        ],
        { lockTimeoutMs: 5000 },
      );
      expect(findings.map((f) => [f.code, f.severity, f.suppressed ?? null, f.statement])).toEqual([
        ['FLEET108', 'info', 'no code reads b since v2', 'ALTER TABLE t DROP COLUMN a'],
        ['FLEET108', 'error', null, 'ALTER TABLE t DROP COLUMN x'], // the next statement only
      ]);
    });

    it('/* */ comments and several codes work; a string that looks like a comment is not one', async () => {
      // The comment covers the next statement only: the DROP after it is still an error.
      expect(await codes(['/* fleet-lint-disable-next-statement FLEET107, FLEET108: old column */ ALTER TABLE t RENAME COLUMN a TO a_old; ALTER TABLE t DROP COLUMN b'])).toEqual([
        'info:FLEET107',
        'error:FLEET108',
      ]);
      expect(await codes(['/* fleet-lint-disable-next-statement FLEET104, FLEET108: table is tiny */ ALTER TABLE t ALTER COLUMN a TYPE bigint, DROP COLUMN b'])).toEqual([
        'info:FLEET104',
        'info:FLEET108',
      ]);
      // A suppression its statement does not need is reported.
      expect(await codes(['-- fleet-lint-disable-next-statement FLEET108: stale\nALTER TABLE t ADD COLUMN c int'])).toEqual(['warning:FLEET003']);
      expect(await codes(["INSERT INTO t (b) VALUES ('-- fleet-lint-disable-next-statement FLEET108: no'); ALTER TABLE t DROP COLUMN b"])).toEqual(['error:FLEET108']);
    });

    it('a suppression without a reason, or with an unknown code, is an error and suppresses nothing', async () => {
      expect(await codes(['-- fleet-lint-disable-next-statement FLEET108\nALTER TABLE t DROP COLUMN b'])).toEqual(['error:FLEET001', 'error:FLEET108']);
      expect(await codes(['-- fleet-lint-disable-next-statement FLEET108:   \nALTER TABLE t DROP COLUMN b'])).toEqual(['error:FLEET001', 'error:FLEET108']);
      expect(await codes(['-- fleet-lint-disable-next-statement FLEET999: typo\nALTER TABLE t DROP COLUMN b'])).toEqual(['error:FLEET002', 'error:FLEET108']);
    });

    it('directives written in the source above the call cover the statements of that call', async () => {
      const lines = [
        '  async up(q) {',
        '    // why this is fine:',
        '    // fleet-lint-disable-next-statement FLEET101: the bench tenants are empty',
        '',
        '    await q.query(`...`);',
      ];
      const directives = directivesAbove(lines, 5);
      expect(directives.map((d) => [d.codes, d.reason])).toEqual([[['FLEET101'], 'the bench tenants are empty']]);
      const m: MigrationSql = { name: 'M1', transactional: true, issued: [{ sql: 'CREATE INDEX a ON t (a); CREATE INDEX b ON t (b)', line: 5, directives }] };
      const findings = await lintRiskySql([migration(['CREATE TABLE t (a int, b int)'], true, 'M0'), m], { lockTimeoutMs: 5000 });
      expect(findings.map((f) => [f.code, f.severity, f.line])).toEqual([
        ['FLEET101', 'info', 5],
        ['FLEET101', 'info', 5],
      ]);
      expect(directivesAbove(['const x = 1; // fleet-lint-disable-next-statement FLEET101: no', 'await q.query(``)'], 2)).toEqual([]);
    });

    it('parses the directive forms', () => {
      expect(parseDirective('-- fleet-lint-disable-next-statement FLEET101: empty table')).toMatchObject({ codes: ['FLEET101'], reason: 'empty table' });
      expect(parseDirective('/* fleet-lint-disable-next-statement fleet101,FLEET104: a: b */')).toMatchObject({ codes: ['FLEET101', 'FLEET104'], reason: 'a: b' });
      expect(parseDirective('-- some other comment')).toBeNull();
    });
  });

  it('docs/lint-rules.md documents every code with its severity', () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', 'lint-rules.md'), 'utf8');
    for (const r of ALL_RULES) expect(doc).toMatch(new RegExp(`\\| ${r.code} \\| \`${r.name}\` \\| ${r.severity} \\|`));
  });
});
