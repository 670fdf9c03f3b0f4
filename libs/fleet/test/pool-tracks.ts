/**
 * The tracks the tenant-pool specs share (schema strategy: tenant-pool.int.spec.ts; database
 * strategy: tenant-pool-database.int.spec.ts): a registry with a plan, two tenant migrations with
 * an index, an enum and a foreign key, and a conditional migration body for pro tenants only.
 */
import type { MigrationSpec } from '../src/testing';

export const PRO_ONLY =
  "  appliesTo(t: { attributes: Record<string, unknown> }) {\n    return t.attributes.plan === 'pro' || `plan is ${String(t.attributes.plan ?? null)}, pro only`;\n  }\n";
export const REGISTRY: MigrationSpec = { name: 'CreateTenants1000', up: [`CREATE TABLE tenants (id text PRIMARY KEY, plan text NOT NULL DEFAULT 'free')`] };
export const USERS: MigrationSpec = {
  name: 'CreateUsers1000',
  up: ['CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE)', 'CREATE INDEX users_email ON users (lower(email))'],
};
export const PROJECTS: MigrationSpec = {
  name: 'CreateProjects2000',
  up: [`CREATE TYPE state AS ENUM ('open', 'done')`, 'CREATE TABLE projects (id serial PRIMARY KEY, owner int REFERENCES users(id), state state)'],
};
