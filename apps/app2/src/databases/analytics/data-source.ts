import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { PageView, User } from '@acme/models';

/** app2's analytics database: page views, and its own copy of the shared users table. */
export default new DataSource({
  type: 'postgres',
  url: process.env.APP2_ANALYTICS_DATABASE_URL,
  entities: [User, PageView],
  migrations: [],
});
