/**
 * Affected-based CI in a temporary git repository (a copy of this workspace): a change to a shared
 * entity in libs/models selects app1 and app2, and their cadence check fails until
 * `shared-migration` has run; a new app2-only migration selects only app2.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runNode, dropDatabase, testServer } from '@fleet/core/testing';
import { WORKSPACE_ROOT } from './run-nx';

const WORKSPACE_PACKAGES: Record<string, string> = {
  '@fleet/core': 'libs/fleet',
  '@fleet/nx-plugin': 'tools/nx-plugin',
  '@acme/models': 'libs/models',
  '@acme/app1': 'apps/app1',
  '@acme/app2': 'apps/app2',
};

/** A copy of the tracked files, with node_modules linking the copy's own workspace packages. */
function copyWorkspace(): string {
  const repo = mkdtempSync(join(tmpdir(), 'fleet-affected-'));
  const files = execFileSync('git', ['ls-files'], { cwd: WORKSPACE_ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(repo, f)), { recursive: true });
    cpSync(join(WORKSPACE_ROOT, f), join(repo, f));
  }
  const modules = join(repo, 'node_modules');
  mkdirSync(modules);
  for (const entry of readdirSync(join(WORKSPACE_ROOT, 'node_modules'))) {
    if (entry === '@fleet' || entry === '@acme') continue;
    symlinkSync(join(WORKSPACE_ROOT, 'node_modules', entry), join(modules, entry));
  }
  for (const [name, dir] of Object.entries(WORKSPACE_PACKAGES)) {
    mkdirSync(join(modules, dirname(name)), { recursive: true });
    symlinkSync(join(repo, dir), join(modules, name));
  }
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'base');
  return repo;
}

function git(repo: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Fleet Test', '-c', 'user.email=fleet@test.invalid', ...args], { cwd: repo, encoding: 'utf8' });
}

describe('nx affected with Fleet', () => {
  let repo: string;
  const s = testServer();
  const env = { PGHOST: s.host, PGPORT: String(s.port), PGUSER: s.user, ...(s.password ? { PGPASSWORD: s.password } : {}) };
  const inRepo = (args: string[]) =>
    runNode(
      join(WORKSPACE_ROOT, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'),
      args,
      { ...env, NX_DAEMON: 'false', NX_SKIP_NX_CACHE: 'true', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
      180_000,
      repo,
    );
  const affected = async () =>
    (await inRepo(['show', 'projects', '--affected', '--base=main', '--head=HEAD'])).stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .sort();

  beforeAll(() => {
    repo = copyWorkspace();
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it('a shared entity change selects app1 and app2 and fails their cadence check until shared-migration runs', async () => {
    git(repo, 'checkout', '-q', '-b', 'nickname');
    const entity = join(repo, 'libs/models/src/lib/user.entity.ts');
    writeFileSync(
      entity,
      readFileSync(entity, 'utf8').replace(
        "  @Column({ name: 'display_name'",
        "  @Column({ name: 'nickname', type: 'varchar', length: 100, nullable: true })\n  nickname!: string | null;\n\n  @Column({ name: 'display_name'",
      ),
    );
    git(repo, 'commit', '-qam', 'users.nickname');
    expect(await affected()).toEqual(['app1', 'app2', 'models']);

    const failing = await inRepo(['affected', '-t', 'cadence-check', '--base=main', '--head=HEAD']);
    expect(failing.code).not.toBe(0);
    expect(failing.stdout).toContain('Shared entity of table users changed, but app1');
    expect(failing.stdout).toContain('Shared entity of table users changed, but app2');

    const generated = await inRepo(['g', '@fleet/nx-plugin:shared-migration', 'AddNickname', '--timestamp=1765000000000']);
    expect(generated.code).toBe(0);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'shared-migration AddNickname');
    const cadence = JSON.parse(readFileSync(join(repo, 'fleet.cadence.json'), 'utf8'));
    expect(cadence.steps.at(-1)).toMatchObject({ id: '1765000000000-AddNickname', tables: ['users'] });

    const passing = await inRepo(['affected', '-t', 'cadence-check', '--base=main', '--head=HEAD', '--output-style=static']);
    expect(passing.stdout).toContain('0 problem(s)');
    expect(passing.code).toBe(0);
  }, 300_000);

  it('a new app2-only migration selects only app2', async () => {
    git(repo, 'checkout', '-q', 'main');
    git(repo, 'checkout', '-q', '-b', 'app2-only');
    writeFileSync(
      join(repo, 'apps/app2/src/databases/analytics/migrations/1765000000001-IndexPageViewPath.ts'),
      `import { MigrationInterface, QueryRunner } from 'typeorm';\n\nexport class IndexPageViewPath1765000000001 implements MigrationInterface {\n  async up(q: QueryRunner): Promise<void> {\n    await q.query('CREATE INDEX ix_page_views_path ON page_views (path)');\n  }\n\n  async down(q: QueryRunner): Promise<void> {\n    await q.query('DROP INDEX ix_page_views_path');\n  }\n}\n`,
    );
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'app2 index');
    expect(await affected()).toEqual(['app2']);
  }, 120_000);

  it('generates a new app whose inferred migrate target works right away', async () => {
    const name = `shop${Date.now().toString(36)}`;
    const generated = await inRepo(['g', '@fleet/nx-plugin:app', name, '--tenants']);
    expect(generated.stdout + generated.stderr).toContain(`Created apps/${name}`);
    expect(generated.code).toBe(0);
    expect((await inRepo(['show', 'projects'])).stdout).toContain(name);
    try {
      const first = await inRepo(['run', `${name}:migrate`]);
      expect(first.stdout + first.stderr).toContain(`Created database ${name}_main`);
      expect(first.code).toBe(0);
      const created = await inRepo(['run', `${name}:tenant-create`, '--id=acme']);
      expect(created.code).toBe(0);
      expect((await inRepo(['run', `${name}:verify`])).stdout).toContain('all 2 target(s) at head');
    } finally {
      await dropDatabase(`${name}_main`);
    }
  }, 180_000);
});
