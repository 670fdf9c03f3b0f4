/** `fleet lint` warns about a DataSource that runs TypeORM's migrator itself (`migrationsRun: true`). */
import { query, runFleet, useFixture } from '../src/testing';

const dataSource = (migrationsRun: boolean) => `import { DataSource } from 'typeorm';
export default new DataSource({ type: 'postgres', entities: [], migrationsRun: ${migrationsRun} });
`;

describe('lint and the DataSource (real PostgreSQL)', () => {
  const fx = useFixture('lintds');

  beforeEach(async () => {
    await query('postgres', `CREATE DATABASE "${fx.db}"`);
    fx.project.writeMigration('migrations', { name: 'CreateUsers1000', up: ['CREATE TABLE users (id int)'] });
  });

  it('warns, naming the module and the fix, and still exits 0', async () => {
    fx.project.writeFile('data-source.ts', dataSource(true));
    fx.project.writeConfig({ app: 'fx', databases: { main: { migrations: './migrations', urlEnv: 'FX_MAIN_URL', dataSource: './data-source.ts' } } });
    const run = await runFleet(['lint', '--config', fx.project.path('fleet.config.ts')], fx.env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^WARNING {2}fx\/main \[migrationsRun\]: \S*data-source\.ts sets migrationsRun: true: the app runs TypeORM's migrator when it starts, beside Fleet/m,
    );
    expect(run.stdout).toContain('Set migrationsRun: false (or remove it) and run fleet migrate at deploy.');

    const json = JSON.parse((await runFleet(['lint', '--config', fx.project.path('fleet.config.ts'), '--json'], fx.env)).stdout);
    expect(json.ok).toBe(true);
    expect(json.dataSources).toEqual([expect.objectContaining({ app: 'fx', database: 'main', track: 'global', option: 'migrationsRun' })]);
  });

  it('says nothing when migrationsRun is off', async () => {
    fx.project.writeFile('data-source.ts', dataSource(false));
    fx.project.writeConfig({ app: 'fx', databases: { main: { migrations: './migrations', urlEnv: 'FX_MAIN_URL', dataSource: './data-source.ts' } } });
    const run = await runFleet(['lint', '--config', fx.project.path('fleet.config.ts'), '--json'], fx.env);
    expect(JSON.parse(run.stdout).dataSources).toEqual([]);
  });
});
