/**
 * Risky SQL end to end (real PostgreSQL, the CLI as users run it): `fleet lint` finds each
 * statement with its file and line (SQL and Table API alike), honours suppressions written in the
 * SQL and above the call, prints text, JSON and SARIF; `migrate` stops before any target when a
 * migration it would apply has an error, and not for one already applied.
 */
import { query, runFleet, useFixture } from '../src/testing';

const TABLE_API = `import { MigrationInterface, QueryRunner } from 'typeorm';

interface Unused {
  a: number;
}

export class EvolveUsers3000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    // fleet-lint-disable-next-statement FLEET107: the app reads users through a view since v2
    await queryRunner.renameColumn('users', 'nick', 'nickname');

    await queryRunner.dropColumn('users', 'legacy');
  }

  async down(): Promise<void> {}
}
`;

describe('risky SQL (real PostgreSQL, the CLI)', () => {
  const fx = useFixture('risky');
  const config = () => fx.project.path('fleet.config.ts');

  beforeEach(() => {
    fx.project.writeConfig({ app: 'fx', databases: { main: { migrations: './migrations', createDatabase: true, urlEnv: 'FX_MAIN_URL' } } });
    fx.project.writeMigration('migrations', { name: 'CreateUsers1000', up: ['CREATE TABLE users (id int PRIMARY KEY, email text, nick text, legacy text)'] });
  });

  it('lint: findings with file and line, suppressions from the SQL and from the source, text, JSON and SARIF', async () => {
    fx.project.writeMigration('migrations', {
      name: 'IndexEmail2000',
      up: [
        'CREATE INDEX ix_users_email ON users (email)',
        '-- fleet-lint-disable-next-statement FLEET106: users is empty until launch\nALTER TABLE users ADD CONSTRAINT ck_id CHECK (id > 0)',
      ],
    });
    fx.project.writeFile('migrations/3000-EvolveUsers.ts', TABLE_API);

    const text = await runFleet(['lint', '--config', config()], fx.env);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(
      /^ERROR {4}IndexEmail2000 \(\S+\/migrations\/2000-IndexEmail\.ts:6\) \[FLEET101\]: CREATE INDEX on users, a table this migration did not create\./m,
    );
    expect(text.stdout).toMatch(/^SUPPRESSED {2}IndexEmail2000 \(\S+:7\) \[FLEET106\]: .*; suppressed: users is empty until launch$/m);
    // The Table API: the call's line in the TypeScript source (an interface above it shifts the compiled lines).
    expect(text.stdout).toMatch(
      /^SUPPRESSED {2}EvolveUsers3000 \(\S+\/migrations\/3000-EvolveUsers\.ts:10\) \[FLEET107\]: renames column users\.nick to nickname; suppressed: the app reads users/m,
    );
    expect(text.stdout).toMatch(/^ERROR {4}EvolveUsers3000 \(\S+\/migrations\/3000-EvolveUsers\.ts:12\) \[FLEET108\]: drops column users\.legacy\./m);
    expect(text.stdout).toContain('fx/main global track: 3 migration(s) checked, 2 error(s), 2 suppressed');

    const json = JSON.parse((await runFleet(['lint', '--config', config(), '--json'], fx.env)).stdout);
    expect(json.ok).toBe(false);
    const findings = json.tracks[0].findings.map((f: Record<string, unknown>) => [f.migration, f.code, f.severity, f.line, f.suppressed ?? null]);
    expect(findings).toEqual([
      ['IndexEmail2000', 'FLEET101', 'error', 6, null],
      ['IndexEmail2000', 'FLEET106', 'info', 7, 'users is empty until launch'],
      ['EvolveUsers3000', 'FLEET107', 'info', 10, 'the app reads users through a view since v2'],
      ['EvolveUsers3000', 'FLEET108', 'error', 12, null],
    ]);

    const sarifRun = await runFleet(['lint', '--config', config(), '--format', 'sarif'], fx.env);
    expect(sarifRun.code).toBe(1);
    const sarif = JSON.parse(sarifRun.stdout);
    expect(sarif.version).toBe('2.1.0');
    const driver = sarif.runs[0].tool.driver;
    expect(driver.name).toBe('fleet-lint');
    for (const rule of driver.rules) {
      expect(rule.id).toMatch(/^(FLEET\d{3}|tenant\/[a-z-]+)$/);
      expect(rule.shortDescription.text.length).toBeGreaterThan(10);
      expect(typeof rule.help.text).toBe('string');
      expect(['error', 'warning', 'note']).toContain(rule.defaultConfiguration.level);
    }
    const results = sarif.runs[0].results;
    expect(results).toHaveLength(4);
    for (const r of results) {
      expect(driver.rules[r.ruleIndex].id).toBe(r.ruleId);
      expect(r.message.text.length).toBeGreaterThan(0);
      expect(r.locations[0].physicalLocation.artifactLocation.uri).toMatch(/^tmp\/test-fixtures\/\S+\/migrations\/\d+-\w+\.ts$/);
    }
    const first = results.find((r: { ruleId: string }) => r.ruleId === 'FLEET101');
    expect(first).toMatchObject({ level: 'error', locations: [{ physicalLocation: { region: { startLine: 6 } } }] });
    expect(results.find((r: { ruleId: string }) => r.ruleId === 'FLEET107').suppressions).toEqual([
      { kind: 'inSource', justification: 'the app reads users through a view since v2' },
    ]);
    expect(await runFleet(['lint', '--config', config(), '--format', 'sarif', '--json'], fx.env)).toMatchObject({ code: 2 });
  }, 120_000);

  it('migrate stops before any target on an error in a pending migration, says how to suppress, then runs once it is suppressed', async () => {
    expect((await runFleet(['migrate', '--config', config()], fx.env)).code).toBe(0);
    await query(fx.db, `INSERT INTO users (id, email) VALUES (1, 'a@x')`);
    fx.project.writeMigration('migrations', { name: 'AddScore2000', up: ['ALTER TABLE users ADD COLUMN score int NOT NULL'] });
    fx.project.writeMigration('migrations', { name: 'AddBio3000', up: ['ALTER TABLE users ADD COLUMN bio text'] });

    const plan = await runFleet(['migrate', '--config', config(), '--dry-run'], fx.env);
    expect(plan.stdout).toMatch(/^ {2}RISKY SQL: fx\/main global track, AddScore2000 \(\S+:6\) \[FLEET102\]: adds users\.score NOT NULL without a DEFAULT$/m);
    expect(plan.stdout).toContain('migrate would stop before any target on the RISKY SQL above');

    const refused = await runFleet(['migrate', '--config', config()], fx.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('migrate stopped before any target: 1 statement(s) of pending migrations are risky on a live table');
    expect(refused.stderr).toMatch(/fx\/main global track, AddScore2000 \(\S+2000-AddScore\.ts:6\) \[FLEET102\]: adds users\.score NOT NULL without a DEFAULT/);
    expect(refused.stderr).toContain('-- fleet-lint-disable-next-statement FLEET102: <why it is safe here>');
    // Nothing ran: not even the harmless migration after it.
    const columns = async () =>
      (await query<{ c: string }>(fx.db, `SELECT column_name AS c FROM information_schema.columns WHERE table_name = 'users' ORDER BY 1`)).map((r) => r.c);
    expect(await columns()).toEqual(['email', 'id', 'legacy', 'nick']);
    expect(await query(fx.db, 'SELECT name FROM fleet_migrations ORDER BY name')).toEqual([{ name: 'CreateUsers1000' }]);

    const json = JSON.parse((await runFleet(['migrate', '--config', config(), '--json'], fx.env)).stdout);
    expect(json.error).toMatchObject({ code: 'RISKY_SQL', findings: [{ migration: 'AddScore2000', code: 'FLEET102', track: 'global', line: 6 }] });

    // Rewritten as the message says: it runs.
    fx.project.writeMigration('migrations', { name: 'AddScore2000', up: ['ALTER TABLE users ADD COLUMN score int NOT NULL DEFAULT 0'] });
    const run = await runFleet(['migrate', '--config', config()], fx.env);
    expect(run.code).toBe(0);
    expect(await columns()).toEqual(['bio', 'email', 'id', 'legacy', 'nick', 'score']);
  }, 120_000);

  it('a risky migration already applied does not stop the next migrate; warnings are printed and the run goes on', async () => {
    fx.project.writeMigration('migrations', { name: 'DropLegacy2000', up: ['ALTER TABLE users DROP COLUMN legacy'] });
    // Applied before the check existed (stamp records it without running it; its effect does not matter here).
    expect((await runFleet(['migrate', '--config', config(), '--to', 'CreateUsers1000'], fx.env)).code).toBe(0);
    expect((await runFleet(['stamp', '--config', config(), '--to', 'DropLegacy2000', '--yes'], fx.env)).code).toBe(0);
    expect((await runFleet(['lint', '--config', config()], fx.env)).code).toBe(1); // lint still lists it

    fx.project.writeConfig({ app: 'fx', databases: { main: { migrations: './migrations', createDatabase: true, urlEnv: 'FX_MAIN_URL', lockTimeoutMs: 0 } } });
    fx.project.writeMigration('migrations', { name: 'AddBio3000', up: ['ALTER TABLE users ADD COLUMN bio text'] });
    const run = await runFleet(['migrate', '--config', config()], fx.env);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/warning: fx\/main global track, AddBio3000 \(\S+:6\) \[FLEET111\]: ALTER TABLE waits for its lock with no time limit/);
    expect(run.stderr).not.toContain('DropLegacy2000');
    expect(await query(fx.db, `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'bio'`)).toEqual([{ n: 1 }]);
  }, 120_000);
});
