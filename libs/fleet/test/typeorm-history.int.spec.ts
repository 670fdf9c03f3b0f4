/**
 * After adoption Fleet keeps TypeORM's history table true: what Fleet applies, reverts or stamps
 * is written there too, in the same transaction, so TypeORM's own runner (`typeorm migration:run`,
 * `migrationsRun: true`) finds nothing to re-run. Checked with TypeORM's real MigrationExecutor.
 */
import 'reflect-metadata';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { migrate, revert, stamp } from '../src/commands/run-commands';
import { databaseUrl, query, useFixture } from '../src/testing';

class CreateUsers1700000000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE users (id serial PRIMARY KEY)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE users');
  }
}
class CreatePosts1700000001000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE posts (id serial PRIMARY KEY)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE posts');
  }
}

describe("TypeORM's history table after adoption (real PostgreSQL)", () => {
  const fx = useFixture('tohist');

  /** TypeORM's own runner over the same migrations, as the app's DataSource would run them. */
  async function withTypeorm<T>(fn: (ds: DataSource) => Promise<T>): Promise<T> {
    const ds = new DataSource({ type: 'postgres', url: databaseUrl(fx.db), migrations: [CreateUsers1700000000000, CreatePosts1700000001000], installExtensions: false } as never);
    await ds.initialize();
    try {
      return await fn(ds);
    } finally {
      await ds.destroy();
    }
  }
  const typeormRows = async () => (await query<{ name: string }>(fx.db, 'SELECT name FROM migrations ORDER BY id')).map((r) => r.name);

  beforeEach(async () => {
    await query('postgres', `CREATE DATABASE "${fx.db}"`);
    // The app before Fleet: TypeORM ran its first migration.
    const ds = new DataSource({ type: 'postgres', url: databaseUrl(fx.db), migrations: [CreateUsers1700000000000] } as never);
    await ds.initialize();
    await ds.runMigrations();
    await ds.destroy();
    fx.project.writeConfig({ app: 'fx', databases: { main: { migrations: './migrations', urlEnv: 'FX_MAIN_URL' } } });
    fx.project.writeMigration('migrations', { name: 'CreateUsers1700000000000', up: ['CREATE TABLE users (id serial PRIMARY KEY)'], down: ['DROP TABLE users'] });
    fx.project.writeMigration('migrations', { name: 'CreatePosts1700000001000', up: ['CREATE TABLE posts (id serial PRIMARY KEY)'], down: ['DROP TABLE posts'] });
  });

  it("migrate, revert and stamp write TypeORM's table too: its runner finds nothing to re-run", async () => {
    const report = await migrate(fx.options());
    expect(report.results[0].applied).toEqual(['CreatePosts1700000001000']);
    expect(await typeormRows()).toEqual(['CreateUsers1700000000000', 'CreatePosts1700000001000']);
    expect(await withTypeorm(async (ds) => ({ pending: await ds.showMigrations(), ran: (await ds.runMigrations()).map((m) => m.name) }))).toEqual({ pending: false, ran: [] });

    await revert(fx.options());
    expect(await typeormRows()).toEqual(['CreateUsers1700000000000']);
    await stamp({ ...fx.options(), to: 'CreatePosts1700000001000' });
    expect(await typeormRows()).toEqual(['CreateUsers1700000000000', 'CreatePosts1700000001000']);
    await stamp({ ...fx.options(), to: 'CreateUsers1700000000000', force: true });
    expect(await typeormRows()).toEqual(['CreateUsers1700000000000']);
    // TypeORM sees exactly what Fleet sees: one pending migration, which it can run.
    expect(await withTypeorm((ds) => ds.showMigrations())).toBe(true);
  });

  it("a failed migration gets no row in TypeORM's table", async () => {
    fx.project.writeMigration('migrations', { name: 'Broken1700000002000', up: ['CREATE TABLE broken (id int)', 'SELECT 1/0'] });
    const report = await migrate(fx.options());
    expect(report.results[0].applied).toEqual(['CreatePosts1700000001000']);
    expect(report.results[0].failed?.migration).toBe('Broken1700000002000');
    expect(await typeormRows()).toEqual(['CreateUsers1700000000000', 'CreatePosts1700000001000']);
  });

  it("a migrations table that is not TypeORM's shape is never written", async () => {
    await query(fx.db, 'ALTER TABLE migrations ADD COLUMN note text');
    await migrate(fx.options());
    expect(await typeormRows()).toEqual(['CreateUsers1700000000000']);
  });

  it("adoptTypeormTable: false leaves TypeORM's table alone", async () => {
    fx.project.writeConfig({ app: 'fx', databases: { main: { migrations: './migrations', urlEnv: 'FX_MAIN_URL', adoptTypeormTable: false } } });
    await stamp({ ...fx.options(), to: 'CreateUsers1700000000000' });
    await migrate(fx.options());
    expect(await typeormRows()).toEqual(['CreateUsers1700000000000']);
  });
});
