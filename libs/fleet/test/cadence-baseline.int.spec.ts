/**
 * A workspace adopting Fleet already has migrations that change shared tables, outside any
 * cadence step: they are the baseline of the cadence check, not failures. The first check (or
 * the first shared-migration) records it in fleet.cadence.json; a migration written after it is
 * checked as usual.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cadenceCheck, sharedMigration } from '../src/commands/cadence';
import { formatCadence } from '../src/reporters/text-format';
import { FixtureProject, databaseUrl } from '../src/testing';

const MODELS = `import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'users' })
export class User {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'varchar', length: 320 }) email!: string;
}
`;

const dataSource = `import { DataSource } from 'typeorm';
import { User } from '../../models';
export default new DataSource({ type: 'postgres', entities: [User] });
`;

const render = (a: { className: string; up: string[]; down: string[] }) => `import type { MigrationInterface, QueryRunner } from 'typeorm';
export class ${a.className} implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
${a.up.map((s) => `    await q.query(${JSON.stringify(s)});`).join('\n')}
  }
  async down(q: QueryRunner): Promise<void> {
${a.down.map((s) => `    await q.query(${JSON.stringify(s)});`).join('\n')}
  }
}
`;

describe('cadence-check baseline: migrations from before Fleet', () => {
  let project: FixtureProject;
  const env = { A1_URL: databaseUrl('fleet_t_cadbase_a1_unused'), A2_URL: databaseUrl('fleet_t_cadbase_a2_unused') };
  const opts = () => ({ workspaceRoot: project.root, env });
  const recordFile = () => project.path('fleet.cadence.json');

  beforeAll(async () => {
    project = new FixtureProject('cadbase');
    project.writeFile('models.ts', MODELS);
    for (const app of ['a1', 'a2']) {
      project.writeFile(`apps/${app}/data-source.ts`, dataSource);
      project.writeFile(`apps/${app}/migrations/.keep`, '');
      project.writeFile(
        `apps/${app}/fleet.config.ts`,
        `export default ${JSON.stringify({ app, databases: { main: { urlEnv: `${app.toUpperCase()}_URL`, migrations: './migrations', dataSource: './data-source.ts' } } })};\n`,
      );
    }
    // The apps' history from before Fleet: each created users its own way, a2 also changed it.
    await sharedMigration({ ...opts(), name: 'CreateUsers', timestamp: 1600000000000, render });
    rmSync(recordFile());
    project.writeFile(
      'apps/a2/migrations/1600000100000-LowerEmails.ts',
      render({ className: 'LowerEmails1600000100000', up: ['UPDATE users SET email = lower(email)'], down: [] }),
    );
  });
  afterAll(() => project.remove());

  it('the first check records the baseline and passes; the record keeps it', async () => {
    expect(existsSync(recordFile())).toBe(false);
    const first = await cadenceCheck(opts());
    expect(first.problems).toEqual([]);
    expect(first.ok).toBe(true);
    expect(first.baselineRecorded).toBe(true);
    const baseline = [
      { app: 'a1', database: 'main', track: 'global', migration: 'CreateUsers1600000000000' },
      { app: 'a2', database: 'main', track: 'global', migration: 'LowerEmails1600000100000' },
    ];
    expect(first.baseline).toEqual(baseline);
    expect(JSON.parse(readFileSync(recordFile(), 'utf8'))).toEqual({ baseline, steps: [] });
    expect(formatCadence(first)).toContain('recorded the baseline in fleet.cadence.json');

    const again = await cadenceCheck(opts());
    expect({ ok: again.ok, baselineRecorded: again.baselineRecorded, problems: again.problems }).toEqual({ ok: true, baselineRecorded: false, problems: [] });
  });

  it('a migration written after the baseline is checked as before', async () => {
    const file = project.writeFile(
      'apps/a1/migrations/1700000000000-TrimEmails.ts',
      render({ className: 'TrimEmails1700000000000', up: ['UPDATE users SET email = trim(email)'], down: [] }),
    );
    try {
      const report = await cadenceCheck(opts());
      expect(report.problems.map((p) => [p.rule, p.app, p.migration, p.table])).toEqual([['b', 'a1', 'TrimEmails1700000000000', 'users']]);
    } finally {
      rmSync(file);
    }
  });

  it('a baseline naming a migration the track does not have is a problem (rule c)', async () => {
    const original = readFileSync(recordFile(), 'utf8');
    try {
      const record = JSON.parse(original);
      record.baseline[1].migration = 'Renamed1600000100000';
      writeFileSync(recordFile(), JSON.stringify(record));
      const report = await cadenceCheck(opts());
      expect(report.problems.map((p) => [p.rule, p.app])).toEqual([
        ['c', 'a2'],
        ['b', 'a2'],
        ['b', 'a2'],
      ]);
      expect(report.problems[0].message).toMatch(/baseline of fleet.cadence.json ends a2 \(main, global track\) at Renamed1600000100000, but that track has no such migration/);
    } finally {
      writeFileSync(recordFile(), original);
    }
  });
});
