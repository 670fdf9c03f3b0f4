/**
 * The rules measured against the cases squawk (squawkhq.com/docs, sbdchd/squawk docs/docs/*.md)
 * and strong_migrations (ankane/strong_migrations README) document: for each case, SQL of our own
 * that shows it, and the code Fleet raises, or null where Fleet does not cover it (docs/lint-rules.md
 * says why). The table in docs/lint-rules.md is checked against this list.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintRiskySql } from './risky-sql';

interface Case {
  source: 'squawk' | 'strong_migrations';
  name: string;
  sql: string[];
  expect: string | null;
  transactional?: boolean;
  lockTimeoutMs?: number;
}

const SETUP = ['CREATE TABLE t (id int, a int, b text)', 'CREATE TABLE u (id int PRIMARY KEY)', 'CREATE INDEX ix_t_a ON t (a)', 'CREATE SCHEMA s'];

export const CASES: Case[] = [
  { source: 'squawk', name: 'adding-field-with-default', sql: ['ALTER TABLE t ADD COLUMN token uuid DEFAULT gen_random_uuid()'], expect: 'FLEET103' },
  { source: 'squawk', name: 'adding-foreign-key-constraint', sql: ['ALTER TABLE t ADD CONSTRAINT t_u FOREIGN KEY (a) REFERENCES u (id)'], expect: 'FLEET106' },
  { source: 'squawk', name: 'adding-not-nullable-field', sql: ['ALTER TABLE t ALTER COLUMN a SET NOT NULL'], expect: 'FLEET105' },
  { source: 'squawk', name: 'adding-required-field', sql: ['ALTER TABLE t ADD COLUMN score int NOT NULL'], expect: 'FLEET102' },
  { source: 'squawk', name: 'adding-serial-primary-key-field', sql: ['ALTER TABLE t ADD PRIMARY KEY (id)'], expect: 'FLEET112' },
  { source: 'squawk', name: 'ban-char-field', sql: ['CREATE TABLE codes (code char(4))'], expect: null },
  { source: 'squawk', name: 'ban-concurrent-index-creation-in-transaction', sql: ['CREATE INDEX CONCURRENTLY ix_t_b ON t (b)'], expect: 'FLEET110' },
  { source: 'squawk', name: 'ban-drop-column', sql: ['ALTER TABLE t DROP COLUMN b'], expect: 'FLEET108' },
  { source: 'squawk', name: 'ban-drop-database', sql: ['DROP DATABASE old_reports'], expect: null, transactional: false },
  { source: 'squawk', name: 'ban-drop-not-null', sql: ['ALTER TABLE t ALTER COLUMN a DROP NOT NULL'], expect: null },
  { source: 'squawk', name: 'ban-drop-table', sql: ['DROP TABLE u'], expect: 'FLEET109' },
  { source: 'squawk', name: 'ban-truncate-cascade', sql: ['TRUNCATE t CASCADE'], expect: null },
  { source: 'squawk', name: 'changing-column-type', sql: ['ALTER TABLE t ALTER COLUMN a TYPE bigint'], expect: 'FLEET104' },
  { source: 'squawk', name: 'constraint-missing-not-valid', sql: ['ALTER TABLE t ADD CONSTRAINT t_a_positive CHECK (a > 0)'], expect: 'FLEET106' },
  { source: 'squawk', name: 'disallowed-unique-constraint', sql: ['ALTER TABLE t ADD CONSTRAINT t_b_key UNIQUE (b)'], expect: 'FLEET112' },
  {
    source: 'squawk',
    name: 'prefer-bigint-over-int, prefer-identity, prefer-text-field, prefer-timestamptz',
    sql: ['CREATE TABLE events (id serial, name varchar(20), at timestamp)'],
    expect: null,
  },
  { source: 'squawk', name: 'prefer-robust-stmts', sql: ['CREATE INDEX CONCURRENTLY ix_t_b ON t (b)'], expect: null, transactional: false },
  { source: 'squawk', name: 'renaming-column', sql: ['ALTER TABLE t RENAME COLUMN b TO body'], expect: 'FLEET107' },
  { source: 'squawk', name: 'renaming-table', sql: ['ALTER TABLE t RENAME TO things'], expect: 'FLEET107' },
  { source: 'squawk', name: 'require-concurrent-index-creation', sql: ['CREATE INDEX ix_t_b ON t (b)'], expect: 'FLEET101' },
  { source: 'squawk', name: 'require-concurrent-index-deletion', sql: ['DROP INDEX ix_t_a'], expect: 'FLEET113' },
  { source: 'squawk', name: 'require-concurrent-reindex', sql: ['REINDEX INDEX ix_t_a'], expect: 'FLEET101' },
  { source: 'squawk', name: 'require-timeout-settings (lock_timeout)', sql: ['ALTER TABLE t ADD COLUMN note text'], expect: 'FLEET111', lockTimeoutMs: 0 },
  { source: 'squawk', name: 'transaction-nesting', sql: ['BEGIN', 'ALTER TABLE t ADD COLUMN note text', 'COMMIT'], expect: null },
  { source: 'squawk', name: 'ban-create-domain-with-constraint', sql: ['CREATE DOMAIN positive AS int CHECK (VALUE > 0)'], expect: null },
  { source: 'squawk', name: 'require-concurrent-partition-detach', sql: ['ALTER TABLE t DETACH PARTITION t_2020'], expect: null },
  { source: 'strong_migrations', name: 'removing a column', sql: ['ALTER TABLE t DROP COLUMN b'], expect: 'FLEET108' },
  { source: 'strong_migrations', name: 'changing the type of a column', sql: ['ALTER TABLE t ALTER COLUMN b TYPE varchar(50)'], expect: 'FLEET104' },
  { source: 'strong_migrations', name: 'renaming a column', sql: ['ALTER TABLE t RENAME COLUMN a TO amount'], expect: 'FLEET107' },
  { source: 'strong_migrations', name: 'renaming a table', sql: ['ALTER TABLE u RENAME TO users'], expect: 'FLEET107' },
  { source: 'strong_migrations', name: 'renaming a schema', sql: ['ALTER SCHEMA s RENAME TO s2'], expect: 'FLEET107' },
  { source: 'strong_migrations', name: 'creating a table with the force option', sql: ['DROP TABLE IF EXISTS u CASCADE', 'CREATE TABLE u (id int)'], expect: 'FLEET109' },
  { source: 'strong_migrations', name: 'adding an auto-incrementing column', sql: ['ALTER TABLE t ADD COLUMN seq bigserial'], expect: 'FLEET103' },
  { source: 'strong_migrations', name: 'adding a stored generated column', sql: ['ALTER TABLE t ADD COLUMN double_a int GENERATED ALWAYS AS (a * 2) STORED'], expect: 'FLEET103' },
  {
    source: 'strong_migrations',
    name: 'adding a column with a volatile default value',
    sql: ['ALTER TABLE t ADD COLUMN seen_at timestamptz DEFAULT clock_timestamp()'],
    expect: 'FLEET103',
  },
  { source: 'strong_migrations', name: 'adding a column with a default value (before PostgreSQL 11)', sql: ["ALTER TABLE t ADD COLUMN state text DEFAULT 'new'"], expect: null },
  { source: 'strong_migrations', name: 'adding a check constraint', sql: ['ALTER TABLE t ADD CONSTRAINT t_b_short CHECK (length(b) < 100)'], expect: 'FLEET106' },
  { source: 'strong_migrations', name: 'adding a foreign key', sql: ['ALTER TABLE t ADD CONSTRAINT t_a_u FOREIGN KEY (a) REFERENCES u (id)'], expect: 'FLEET106' },
  {
    source: 'strong_migrations',
    name: 'adding a reference (column and its index)',
    sql: ['ALTER TABLE t ADD COLUMN u_id int', 'CREATE INDEX ix_t_u_id ON t (u_id)'],
    expect: 'FLEET101',
  },
  { source: 'strong_migrations', name: 'adding an index non-concurrently', sql: ['CREATE INDEX ix_t_b ON t (b)'], expect: 'FLEET101' },
  { source: 'strong_migrations', name: 'removing an index non-concurrently (opt-in there)', sql: ['DROP INDEX ix_t_a'], expect: 'FLEET113' },
  { source: 'strong_migrations', name: 'adding a unique constraint', sql: ['ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a)'], expect: 'FLEET112' },
  { source: 'strong_migrations', name: 'adding an exclusion constraint', sql: ['ALTER TABLE t ADD CONSTRAINT t_b_excl EXCLUDE USING gist (b WITH =)'], expect: 'FLEET112' },
  { source: 'strong_migrations', name: 'setting NOT NULL on an existing column', sql: ['ALTER TABLE t ALTER COLUMN b SET NOT NULL'], expect: 'FLEET105' },
  {
    source: 'strong_migrations',
    name: 'using change_column_null with a default value',
    sql: ["UPDATE t SET b = '' WHERE b IS NULL", 'ALTER TABLE t ALTER COLUMN b SET NOT NULL'],
    expect: 'FLEET105',
  },
  { source: 'strong_migrations', name: 'backfilling data', sql: ['ALTER TABLE t ADD COLUMN flag boolean', 'UPDATE t SET flag = true'], expect: null },
  { source: 'strong_migrations', name: 'adding a json column', sql: ['ALTER TABLE t ADD COLUMN props json'], expect: null },
  { source: 'strong_migrations', name: 'executing SQL directly', sql: ["DO $$ BEGIN EXECUTE 'ALTER TABLE t DROP COLUMN b'; END $$"], expect: null },
  {
    source: 'strong_migrations',
    name: 'keeping non-unique indexes to three columns or less',
    sql: ['CREATE INDEX CONCURRENTLY ix_t_wide ON t (id, a, b, id)'],
    expect: null,
    transactional: false,
  },
  { source: 'strong_migrations', name: 'lock timeout (configuration)', sql: ['ALTER TABLE t ADD COLUMN note text'], expect: 'FLEET111', lockTimeoutMs: 0 },
];

describe('coverage of the cases squawk and strong_migrations document', () => {
  it.each(CASES)('$source $name -> $expect', async (c) => {
    const findings = await lintRiskySql(
      [
        { name: 'M0', transactional: true, issued: SETUP.map((sql) => ({ sql, line: null, directives: [] })) },
        { name: 'M1', transactional: c.transactional ?? true, issued: c.sql.map((sql) => ({ sql, line: null, directives: [] })) },
      ],
      { lockTimeoutMs: c.lockTimeoutMs ?? 5000 },
    );
    const codes = [...new Set(findings.map((f) => f.code))];
    if (c.expect) expect(codes).toContain(c.expect);
    else expect(codes).toEqual([]);
  });

  it('docs/lint-rules.md lists every case with the same verdict', () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', 'lint-rules.md'), 'utf8');
    for (const c of CASES) {
      const row = doc.split('\n').find((l) => l.startsWith(`| ${c.source} | ${c.name} |`));
      expect([c.name, row ? row.split('|')[3].trim().split(' ')[0] : 'missing']).toEqual([c.name, c.expect ?? 'not']);
    }
  });
});
