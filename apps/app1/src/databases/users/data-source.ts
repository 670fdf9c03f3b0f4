import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { Project, User } from '@acme/models';

/**
 * app1's users database, as TypeORM sees it. Fleet reads the entities from here; it connects on
 * its own (see fleet.config.ts), so the URL below only matters to the app itself.
 */
export default new DataSource({
  type: 'postgres',
  url: process.env.APP1_USERS_DATABASE_URL,
  entities: [User, Project],
  migrations: [],
});
