/**
 * The setup every integration spec repeats, once: a fixture project on disk and a database name
 * for each test (FX_MAIN_URL points at it, as `tenantFleetConfig` expects), both removed after the
 * test, plus any extra database a test asks for. Uses the test runner's beforeEach/afterEach.
 */
import { FixtureProject, WORKSPACE_ROOT } from './fixtures';
import { databaseUrl, dropDatabase, uniqueName } from './pg';
import { nodeAtLeast, QUEUE_NODE_FLOOR, UNSUPPORTED_NODE_VARIABLE } from '../queue/node-version';

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

/**
 * Queue mode refuses a Node.js older than pg-boss declares (queue/node-version.ts); the tests run
 * it on whatever Node runs them (pg-boss 12.38 passed them on 20.20), so they say so.
 */
const QUEUE_ON_THIS_NODE: NodeJS.ProcessEnv = nodeAtLeast(process.versions.node, QUEUE_NODE_FLOOR) ? {} : { [UNSUPPORTED_NODE_VARIABLE]: '1' };

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
      return { [urlEnv]: databaseUrl(db), ...QUEUE_ON_THIS_NODE };
    },
    options<T extends object>(extra?: T) {
      return { config: project!.path('fleet.config.ts'), workspaceRoot: WORKSPACE_ROOT, env: { [urlEnv]: databaseUrl(db), ...QUEUE_ON_THIS_NODE }, ...(extra as T) };
    },
    database(prefix = 'fleet_t') {
      const name = uniqueName(prefix);
      databases.push(name);
      return name;
    },
  };
}
