import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { Project, User } from '@acme/models';

/**
 * app1's users database, tenant track: the tables every tenant schema has. Fleet reads the
 * entities from here; it connects on its own (see fleet.config.ts).
 */
export default new DataSource({
  type: 'postgres',
  url: process.env.APP1_USERS_DATABASE_URL,
  entities: [User, Project],
  migrations: [],
});
