import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { Tenant } from '@acme/models';

/** The global schema of app1's users database: the tenant registry. */
export default new DataSource({
  type: 'postgres',
  url: process.env.APP1_USERS_DATABASE_URL,
  entities: [Tenant],
  migrations: [],
});
