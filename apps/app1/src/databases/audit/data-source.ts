import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { AuditEvent } from '@acme/models';

/** app1's audit database: append-only audit events. */
export default new DataSource({
  type: 'postgres',
  url: process.env.APP1_AUDIT_DATABASE_URL,
  entities: [AuditEvent],
  migrations: [],
});
