/**
 * The risky-SQL rules: each has a stable code (never reused or renumbered: suppressions, SARIF
 * results and CI baselines name it), a severity, why it is risky on a live table, and the safe
 * rewrite. docs/lint-rules.md is the long form; a test keeps the two in step.
 */
export type RiskySeverity = 'error' | 'warning';

export interface RiskyRule {
  code: string;
  /** Short kebab-case name (SARIF `name`). */
  name: string;
  severity: RiskySeverity;
  /** One line: what goes wrong on a live table. */
  why: string;
  /** One line: what to write instead. */
  rewrite: string;
}

const rule = (code: string, name: string, severity: RiskySeverity, why: string, rewrite: string): RiskyRule => ({ code, name, severity, why, rewrite });

export const RISKY_RULES: readonly RiskyRule[] = [
  rule(
    'FLEET101',
    'index-not-concurrent',
    'error',
    'CREATE INDEX (or REINDEX) without CONCURRENTLY holds a SHARE lock on the table for the whole build: every INSERT, UPDATE and DELETE waits.',
    'CREATE INDEX CONCURRENTLY (REINDEX ... CONCURRENTLY) in a migration with `transaction = false`; a table created in the same migration needs nothing.',
  ),
  rule(
    'FLEET102',
    'add-column-not-null-without-default',
    'error',
    'ADD COLUMN ... NOT NULL without a DEFAULT fails on a table that has rows (and takes an ACCESS EXCLUSIVE lock to do so).',
    'Add the column with a constant DEFAULT (no rewrite since PostgreSQL 11), or add it nullable, backfill in batches, then follow FLEET105.',
  ),
  rule(
    'FLEET103',
    'volatile-default',
    'error',
    'A column added with a volatile DEFAULT (random(), clock_timestamp(), gen_random_uuid(), a serial, a STORED generated column) rewrites the whole table under ACCESS EXCLUSIVE.',
    'Add the column without the default (or with a constant one), SET DEFAULT afterwards for new rows, and backfill existing rows in batches. now() is stable: no rewrite.',
  ),
  rule(
    'FLEET104',
    'alter-column-type',
    'error',
    'ALTER COLUMN ... TYPE rewrites the table and its indexes under ACCESS EXCLUSIVE for most type changes.',
    'Add a new column, write to both, backfill in batches, switch reads, then drop the old one. Widening varchar(n) to a larger n or to text does not rewrite: suppress with that reason.',
  ),
  rule(
    'FLEET105',
    'set-not-null',
    'error',
    'SET NOT NULL scans the whole table under ACCESS EXCLUSIVE, unless a validated CHECK (col IS NOT NULL) already proves it.',
    'ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c (a later migration or statement); then SET NOT NULL (no scan since PostgreSQL 12) and drop c.',
  ),
  rule(
    'FLEET106',
    'constraint-without-not-valid',
    'error',
    'ADD FOREIGN KEY or CHECK validates every existing row while holding a lock that blocks writes (both tables, for a foreign key).',
    'ADD CONSTRAINT ... NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in a separate transaction (it takes a weaker lock and lets writes through).',
  ),
  rule(
    'FLEET107',
    'rename',
    'error',
    'RENAME of a column, table or schema breaks the application version that is still running and uses the old name.',
    'Add the new column (or a view for a table), write to both, move reads, then drop the old name in a later release; suppress when no running code uses the name.',
  ),
  rule(
    'FLEET108',
    'drop-column',
    'error',
    'DROP COLUMN breaks the running application while it still reads or writes the column (TypeORM selects every mapped column), and the data is gone.',
    'Remove the column from the entities and deploy first; drop it in a later migration, suppressed with that reason.',
  ),
  rule(
    'FLEET109',
    'drop-table',
    'error',
    'DROP TABLE breaks the running application while it still uses the table, and the data is gone.',
    'Stop using the table in a deployed release first; then drop it, suppressed with that reason.',
  ),
  rule(
    'FLEET110',
    'concurrently-in-transaction',
    'error',
    'CREATE/DROP INDEX CONCURRENTLY and REINDEX CONCURRENTLY cannot run inside a transaction block: the migration fails on every target.',
    'Mark the migration `transaction = false` (Fleet then runs it statement by statement) and keep the concurrent statement in it.',
  ),
  rule(
    'FLEET111',
    'no-lock-timeout',
    'warning',
    "Fleet's lock timeout is off for this database (lockTimeoutMs: 0) and the migration sets none: a statement waiting for its lock queues every query on the table behind it.",
    "Set lockTimeoutMs (Fleet's default is 5000), or SET lock_timeout = '5s' at the top of the migration.",
  ),
  rule(
    'FLEET112',
    'unique-constraint-builds-index',
    'error',
    'ADD UNIQUE, PRIMARY KEY or EXCLUDE builds its index while holding ACCESS EXCLUSIVE on the table: reads and writes wait for the build.',
    'CREATE UNIQUE INDEX CONCURRENTLY first (transaction = false), then ADD CONSTRAINT ... UNIQUE (or PRIMARY KEY) USING INDEX. An exclusion constraint has no such form: suppress it with the reason it is acceptable.',
  ),
  rule(
    'FLEET113',
    'drop-index-not-concurrent',
    'warning',
    'DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the table: it waits behind running queries and everything waits behind it.',
    'DROP INDEX CONCURRENTLY in a migration with `transaction = false`.',
  ),
];

/** Problems with the suppression comments themselves (never suppressible). */
export const SUPPRESSION_RULES: readonly RiskyRule[] = [
  rule(
    'FLEET001',
    'suppression-without-reason',
    'error',
    'A suppression must say why the statement is safe there, so the next reader can check it.',
    'Write `-- fleet-lint-disable-next-statement FLEET101: <why this is safe here>`.',
  ),
  rule(
    'FLEET002',
    'suppression-unknown-code',
    'error',
    'A suppression names a code no rule has: it would silence nothing, or not what was meant.',
    'Name a code listed in docs/lint-rules.md.',
  ),
  rule(
    'FLEET003',
    'suppression-unused',
    'warning',
    'A suppression matched no finding of its statement: the statement changed, or the code is wrong.',
    'Remove the comment, or name the code the statement actually raises.',
  ),
];

export const ALL_RULES: readonly RiskyRule[] = [...RISKY_RULES, ...SUPPRESSION_RULES];

const BY_CODE = new Map(ALL_RULES.map((r) => [r.code, r]));

export function ruleFor(code: string): RiskyRule {
  const found = BY_CODE.get(code);
  if (!found) throw new Error(`No lint rule ${code}`);
  return found;
}

/** Codes a suppression may name. */
export function isSuppressible(code: string): boolean {
  return RISKY_RULES.some((r) => r.code === code);
}
