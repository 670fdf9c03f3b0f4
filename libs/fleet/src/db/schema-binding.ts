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
