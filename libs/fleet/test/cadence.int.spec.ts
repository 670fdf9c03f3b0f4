/**
 * The cadence of shared tables on the real server: two apps map `users`; fleet.cadence.json links
 * their migrations. Each rule of cadence-check fails on its own fixture and passes after the fix.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cadenceCheck, sharedMigration } from '../src/commands/cadence';
import { FixtureProject, databaseUrl } from '../src/testing';

const MODELS = (extra: string) => `import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'users' })
export class User {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'varchar', length: 320 }) email!: string;
${extra}}

@Entity({ name: 'orders' })
export class Order {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'int' }) total!: number;
}
`;

const dataSource = (entities: string) => `import { DataSource } from 'typeorm';
import { ${entities} } from '../../models';
export default new DataSource({ type: 'postgres', entities: [${entities}] });
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

describe('cadence-check', () => {
  let project: FixtureProject;
  const env = { A1_URL: databaseUrl('fleet_t_cadence_a1_unused'), A2_URL: databaseUrl('fleet_t_cadence_a2_unused') };
  const opts = () => ({ workspaceRoot: project.root, env });
  const record = () => JSON.parse(readFileSync(project.path('fleet.cadence.json'), 'utf8'));

  beforeAll(async () => {
    project = new FixtureProject('cadence');
    project.writeFile('models.ts', MODELS(''));
    project.writeFile('apps/a1/data-source.ts', dataSource('User, Order'));
    project.writeFile('apps/a2/data-source.ts', dataSource('User'));
    project.writeFile('apps/a1/migrations/.keep', '');
    project.writeFile('apps/a2/migrations/.keep', '');
    project.writeFile(
      'apps/a1/fleet.config.ts',
      `export default ${JSON.stringify({ app: 'a1', databases: { main: { urlEnv: 'A1_URL', migrations: './migrations', dataSource: './data-source.ts' } } })};\n`,
    );
    project.writeFile(
      'apps/a2/fleet.config.ts',
      `export default ${JSON.stringify({ app: 'a2', databases: { main: { urlEnv: 'A2_URL', migrations: './migrations', dataSource: './data-source.ts' } } })};\n`,
    );
    // The first cadence step creates the shared table in both apps.
    const first = await sharedMigration({ ...opts(), name: 'Initial', timestamp: 1700000000000, render });
    expect(first).toMatchObject({
      step: '1700000000000-Initial',
      tables: ['users'],
      files: ['apps/a1/migrations/1700000000000-Initial.ts', 'apps/a2/migrations/1700000000000-Initial.ts'],
    });
  });
  afterAll(() => project.remove());

  it('lists the shared tables and passes on a consistent workspace', async () => {
    const report = await cadenceCheck(opts());
    expect(report.shared).toEqual([
      {
        table: 'users',
        mappedBy: [
          { app: 'a1', database: 'main', track: 'global' },
          { app: 'a2', database: 'main', track: 'global' },
        ],
      },
    ]);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('(a) fails when a shared entity changed without migrations, and passes once shared-migration wrote them', async () => {
    project.writeFile('models.ts', MODELS("  @Column({ type: 'varchar', length: 100, nullable: true }) nickname!: string | null;\n"));
    jest.resetModules();
    const before = await cadenceCheck(opts());
    expect(before.problems.map((p) => [p.rule, p.app, p.table])).toEqual([
      ['a', 'a1', 'users'],
      ['a', 'a2', 'users'],
    ]);
    expect(before.problems[0].message).toContain('shared-migration');

    const step = await sharedMigration({ ...opts(), name: 'AddNickname', timestamp: 1700000100000, render });
    expect(step.files).toHaveLength(2);
    expect(readFileSync(project.path(step.files[1]), 'utf8')).toContain('ALTER TABLE \\"users\\" ADD \\"nickname\\" character varying(100)');
    jest.resetModules();
    const after = await cadenceCheck(opts());
    expect(after.problems).toEqual([]);
    expect(record().steps.map((s: { id: string }) => s.id)).toEqual(['1700000000000-Initial', '1700000100000-AddNickname']);
  });

  it('(b) fails when one app changes a shared table outside a cadence step, naming app, migration and table', async () => {
    const file = project.writeFile(
      'apps/a2/migrations/1700000200000-LowerEmails.ts',
      render({ className: 'LowerEmails1700000200000', up: ['UPDATE users SET email = lower(email)'], down: [] }),
    );
    jest.resetModules();
    const report = await cadenceCheck(opts());
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ rule: 'b', app: 'a2', migration: 'LowerEmails1700000200000', table: 'users' });
    expect(report.problems[0].message).toMatch(/changes shared table users outside a cadence step/);
    expect((await cadenceCheck({ ...opts(), app: 'a1' })).ok).toBe(true);
    require('node:fs').rmSync(file);
  });

  it('(c) fails when a step is missing in one app or the steps are ordered differently', async () => {
    const original = readFileSync(project.path('fleet.cadence.json'), 'utf8');
    try {
      const missing = record();
      missing.steps[1].migrations = missing.steps[1].migrations.filter((m: { app: string }) => m.app === 'a1');
      writeFileSync(project.path('fleet.cadence.json'), JSON.stringify(missing));
      jest.resetModules();
      const r1 = await cadenceCheck(opts());
      expect(r1.problems.some((p) => p.rule === 'c' && p.app === 'a2' && /gives a2 .* no migration/.test(p.message))).toBe(true);

      const absent = JSON.parse(original);
      absent.steps[1].migrations[1].migration = 'AddNickname1799999999999';
      writeFileSync(project.path('fleet.cadence.json'), JSON.stringify(absent));
      const r2 = await cadenceCheck(opts());
      expect(r2.problems.some((p) => p.rule === 'c' && p.app === 'a2' && /the step is missing in a2/.test(p.message))).toBe(true);

      const swapped = JSON.parse(original);
      swapped.steps.reverse();
      writeFileSync(project.path('fleet.cadence.json'), JSON.stringify(swapped));
      const r3 = await cadenceCheck(opts());
      expect(r3.problems.filter((p) => p.rule === 'c' && /ordered differently/.test(p.message)).map((p) => p.app)).toEqual(['a1', 'a2']);
    } finally {
      writeFileSync(project.path('fleet.cadence.json'), original);
    }
  });
});
