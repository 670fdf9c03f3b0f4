/**
 * The compatibility matrix: the workspaces Fleet must install into and run in, each with the exact
 * versions it was last run with (README "Supported versions" lists them). A scenario is a package
 * manager, a way to make the workspace (written here, or `create-nx-workspace`) and the versions
 * of what a TypeORM app on Nx has. Change a version here and the suite prepares a new workspace.
 */

export type PackageManagerName = 'npm' | 'pnpm' | 'yarn';

export interface Scenario {
  /** Short id, also the cache folder's prefix. */
  id: string;
  title: string;
  packageManager: { name: PackageManagerName; version: string };
  /** `written`: package.json, nx.json and project.json written by the test; else `npx create-nx-workspace@<version>`. */
  base: { kind: 'written' } | { kind: 'create-nx-workspace'; version: string; name: string; appName: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  /** The Nx project name of the app (what `nx run <project>:migrate` takes). */
  project: string;
  appRoot: string;
  /** The variable the app's DataSource reads its URL from. */
  urlEnv: string;
  /** Files the workspace had before Fleet (package manager settings). */
  files?: Record<string, string>;
}

const NX = { 22: '22.7.12', 23: '23.2.1', 24: '24.0.7' } as const;
// @nx/devkit 24.0.0 is the newest 24.x the registry serves (nx itself is at 24.0.7).
const DEVKIT = { 22: '22.7.12', 23: '23.2.1', 24: '24.0.0' } as const;
const TYPEORM = { '0.3': '0.3.31', '1': '1.1.3' } as const;
const TYPESCRIPT = { 5: '5.9.3', 6: '6.0.3', 7: '7.0.2' } as const;

const nx = (major: keyof typeof NX) => ({ nx: NX[major], '@nx/devkit': DEVKIT[major] });
const app = (typeorm: string, reflectMetadata = '0.2.2') => ({ pg: '8.23.1', 'reflect-metadata': reflectMetadata, typeorm });

const shop = { project: 'shop', appRoot: 'apps/shop', urlEnv: 'SHOP_DATABASE_URL' };

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'a-npm-typeorm03-ts5',
    title: '(a) npm, typeorm 0.3 latest, TypeScript 5, Nx 23',
    packageManager: { name: 'npm', version: 'bundled' },
    base: { kind: 'written' },
    // An app from before TypeORM 0.3.20 keeps reflect-metadata 0.1.x: the peer range admits it.
    dependencies: app(TYPEORM['0.3'], '0.1.14'),
    devDependencies: { ...nx(23), typescript: TYPESCRIPT[5], '@types/node': '20.19.43' },
    ...shop,
  },
  {
    id: 'b-npm-typeorm1-ts7',
    // Nx 24.0.7 declares typescript ^5.8 || ^6 as an optional peer: npm refuses it next to
    // TypeScript 7 before Fleet is involved. Nx 23 declares none.
    title: '(b) npm, typeorm 1.x latest, TypeScript 7, Nx 23',
    packageManager: { name: 'npm', version: 'bundled' },
    base: { kind: 'written' },
    dependencies: app(TYPEORM['1']),
    devDependencies: { ...nx(23), typescript: TYPESCRIPT[7], '@types/node': '20.19.43' },
    ...shop,
  },
  {
    id: 'c-create-nx-workspace',
    title: '(c) create-nx-workspace@latest (node-monorepo, project @acme/api), brought to Nx 24',
    packageManager: { name: 'npm', version: 'bundled' },
    base: { kind: 'create-nx-workspace', version: '23.2.1', name: 'acme', appName: 'api' },
    dependencies: app(TYPEORM['1']),
    // Only nx and @nx/devkit have 24.x on the registry; the workspace's other @nx/* stay at 23.2.1.
    devDependencies: nx(24),
    project: '@acme/api',
    appRoot: 'apps/api',
    urlEnv: 'API_DATABASE_URL',
  },
  {
    id: 'd-npm-nx22',
    title: '(d) npm, Nx 22, typeorm 1.x, TypeScript 6',
    packageManager: { name: 'npm', version: 'bundled' },
    base: { kind: 'written' },
    dependencies: app(TYPEORM['1']),
    devDependencies: { ...nx(22), typescript: TYPESCRIPT[6], '@types/node': '20.19.43' },
    ...shop,
  },
  {
    id: 'e-pnpm',
    title: '(e) pnpm, Nx 24, typeorm 1.x, TypeScript 6',
    packageManager: { name: 'pnpm', version: '12.24.0' },
    base: { kind: 'written' },
    dependencies: app(TYPEORM['1']),
    devDependencies: { ...nx(24), typescript: TYPESCRIPT[6], '@types/node': '20.19.43' },
    ...shop,
    // pnpm 11+ fails an install under CI while a dependency's build script is neither allowed nor
    // denied. Neither nx's nor @swc/core's (a dependency of @fleet/core) is needed: npm 11 runs
    // none by default either. README "Supported versions" says to add the @swc/core line.
    files: { 'pnpm-workspace.yaml': "allowBuilds:\n  nx: false\n  '@swc/core': false\n" },
  },
  {
    id: 'f-yarn-classic',
    title: '(f) yarn classic, Nx 23, typeorm 0.3, TypeScript 6',
    packageManager: { name: 'yarn', version: '1.22.22' },
    base: { kind: 'written' },
    dependencies: app(TYPEORM['0.3']),
    devDependencies: { ...nx(23), typescript: TYPESCRIPT[6], '@types/node': '20.19.43' },
    ...shop,
  },
  {
    id: 'g-yarn-berry',
    title: '(g) yarn 4 (node-modules linker), Nx 24, typeorm 1.x, TypeScript 6',
    packageManager: { name: 'yarn', version: '4.18.1' },
    base: { kind: 'written' },
    dependencies: app(TYPEORM['1']),
    devDependencies: { ...nx(24), typescript: TYPESCRIPT[6], '@types/node': '20.19.43' },
    ...shop,
    // Nx needs node_modules (no Plug'n'Play); under CI yarn 4 refuses to write a lockfile unless told.
    files: { '.yarnrc.yml': 'nodeLinker: node-modules\nenableImmutableInstalls: false\n', 'yarn.lock': '' },
  },
];

/** The Nx major a scenario installs. */
export function nxMajor(scenario: Scenario): number {
  const version = scenario.devDependencies.nx;
  if (!version) throw new Error(`${scenario.id}: no nx version`);
  return Number(version.split('.')[0]);
}
