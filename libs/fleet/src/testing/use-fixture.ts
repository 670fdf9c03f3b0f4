/**
 * The setup every integration spec repeats, once: a fixture project on disk and a database name
 * for each test (FX_MAIN_URL points at it, as `tenantFleetConfig` expects), both removed after the
 * test, plus any extra database a test asks for. Uses the test runner's beforeEach/afterEach.
 */
import { FixtureProject, WORKSPACE_ROOT } from './fixtures';
import { databaseUrl, dropDatabase, uniqueName } from './pg';

// The test runner's hooks (Jest's, or any runner with the same globals); typed here so that the
// library builds without a test runner's types.
declare function beforeEach(fn: () => unknown): void;
declare function afterEach(fn: () => unknown): void;

export interface Fixture {
  /** This test's project (config and migrations). */
  readonly project: FixtureProject;
  /** This test's main database (created by the first migrate with createDatabase, dropped after). */
  readonly db: string;
  /** The environment that points the fixture config at `db`. */
  readonly env: NodeJS.ProcessEnv;
  /** The API options of this fixture, plus `extra`. */
  options<T extends object>(extra?: T): { config: string; workspaceRoot: string; env: NodeJS.ProcessEnv } & T;
  /** Another database name for this test, dropped after it. */
  database(prefix?: string): string;
}

export function useFixture(label: string, urlEnv = 'FX_MAIN_URL'): Fixture {
  let project: FixtureProject | undefined;
  let db = '';
  let databases: string[] = [];
  beforeEach(() => {
    project = new FixtureProject(label);
    databases = [];
    db = uniqueName(`fleet_t_${label.replace(/[^a-z0-9_]/g, '_')}`.slice(0, 30));
    databases.push(db);
  });
  afterEach(async () => {
    project?.remove();
    for (const name of databases) await dropDatabase(name);
  });
  return {
    get project() {
      return project!;
    },
    get db() {
      return db;
    },
    get env() {
      return { [urlEnv]: databaseUrl(db) };
    },
    options<T extends object>(extra?: T) {
      return { config: project!.path('fleet.config.ts'), workspaceRoot: WORKSPACE_ROOT, env: { [urlEnv]: databaseUrl(db) }, ...(extra as T) };
    },
    database(prefix = 'fleet_t') {
      const name = uniqueName(prefix);
      databases.push(name);
      return name;
    },
  };
}
