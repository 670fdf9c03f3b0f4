import type { DataSource, QueryRunner } from 'typeorm';

/**
 * A QueryRunner that behaves as if its DataSource had been built with `schema: <schema>`.
 *
 * On connect, TypeORM's PostgresDriver stores `current_schema()` as `driver.schema` and
 * `driver.searchSchema`, and every bare name given to the Table API (`createTable`, `addColumn`,
 * `createForeignKey`, `hasTable`, enum type names...) is resolved in that schema, whatever the
 * session's search_path says. Fleet shares one DataSource (and its pool) between every tenant of
 * a database, so the driver itself must not be changed: the runner gets a view of the driver (and
 * of the DataSource, which BaseQueryRunner asks for the driver again) whose two schema fields say
 * the target's schema. Everything else (the pool, the connection, metadata) is the shared
 * original, reached through the prototype.
 *
 * TypeORM versions (the `typeorm` peer range `^0.3.0 || ^1.0.0`): this works the same from 0.3.0
 * to 1.x. 0.3.0 is the floor because it is the first release with the DataSource API, which Fleet
 * builds (db/data-source.ts) and reads from the app's module; its PostgresDriver already keeps
 * `schema` and `searchSchema` from `current_schema()` on connect, its QueryRunner reads both through
 * `this.driver` (the bound view here), and `escapePath` leaves out the schema equal to
 * `searchSchema`. The compatibility matrix (tools/nx-plugin/test/compat.e2e.spec.ts) runs 0.3.31
 * and 1.1.3; 0.3.0, 0.3.12 and 1.0.0 passed the same scenario when the range was chosen.
 */
export function createBoundQueryRunner(dataSource: DataSource, schema: string): QueryRunner {
  const driver = dataSource.driver;
  const boundDriver = Object.create(driver) as typeof driver;
  const boundDataSource = Object.create(dataSource) as DataSource;
  Object.defineProperties(boundDriver, {
    schema: { value: schema, writable: true, enumerable: true, configurable: true },
    searchSchema: { value: schema, writable: true, enumerable: true, configurable: true },
    dataSource: { value: boundDataSource, writable: true, enumerable: true, configurable: true },
    connection: { value: boundDataSource, writable: true, enumerable: true, configurable: true },
    // TypeORM's own options.schema qualifies its metadata table; migrations never see it.
    options: { value: { ...driver.options, schema }, writable: true, enumerable: true, configurable: true },
  });
  Object.defineProperties(boundDataSource, {
    driver: { value: boundDriver, writable: true, enumerable: true, configurable: true },
  });
  return boundDriver.createQueryRunner('master');
}
