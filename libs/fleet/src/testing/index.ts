/**
 * `@fleet/core/testing`: what Fleet's own tests (and a team's tests of its Fleet setup) need: a
 * throwaway database on the real server, fixture projects (config + migration files) on disk,
 * and the CLI in a child process.
 */
export { createDatabase, databaseUrl, dropDatabase, query, samplePeakConnections, testServer, uniqueName, waitForBackend, withAdmin } from './pg';
export { FixtureProject, LINT_ALLOW, migrationSource, tenantFleetConfig, WORKSPACE_ROOT } from './fixtures';
export type { MigrationSpec } from './fixtures';
export { runFleet, runNode } from './cli';
export { useFixture } from './use-fixture';
export type { Fixture } from './use-fixture';
export type { CliResult } from './cli';
export type { EmbeddedTestServer } from './embedded-server';
export { freePort, startEmbeddedTestServer } from './embedded-server';
export type { ReplicaPair } from './replica';
export { queryOn, startReplicaPair } from './replica';
