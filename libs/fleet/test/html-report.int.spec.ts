/**
 * `status --html` rendered in a real headless Chromium (Debian's chromium, driven by
 * playwright-core): cells coloured by state, grouped by version, failures listed, the filter works.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, Browser } from 'playwright-core';
import { migrate } from '../src/commands/run-commands';
import { registerTenants } from '../src/commands/tenants';
import { FixtureProject, tenantFleetConfig, WORKSPACE_ROOT, runFleet, databaseUrl, dropDatabase, query, uniqueName } from '../src/testing';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

describe('status --html in Chromium', () => {
  let project: FixtureProject;
  let db: string;
  let env: NodeJS.ProcessEnv;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH). .ci/run installs it.`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    project = new FixtureProject('html');
    db = uniqueName('fleet_t_html');
    env = { FX_MAIN_URL: databaseUrl(db) };
    project.writeConfig(tenantFleetConfig());
    project.writeMigration('global', { name: 'CreateTenants1000', up: ['CREATE TABLE tenants (id text PRIMARY KEY)'] });
    project.writeMigration('tenant', { name: 'CreateUsers1000', up: ['CREATE TABLE users (id serial PRIMARY KEY, email text)'] });
    const opts = { config: project.path('fleet.config.ts'), workspaceRoot: WORKSPACE_ROOT, env };
    await migrate(opts);
    await registerTenants({ ...opts, tenants: ['acme', 'globex', 'initech', 'umbrella'].map((id) => ({ id })) });
    await migrate(opts);
    await query(db, `INSERT INTO tenant_umbrella.users (email) VALUES ('x'), ('x')`);
    project.writeMigration('tenant', {
      name: 'UniqueEmail2000',
      up: ['-- fleet-lint-disable-next-statement FLEET101: the test tenants hold two rows each\nCREATE UNIQUE INDEX uq_users_email ON users (email)'],
    });
  });
  afterEach(async () => {
    project.remove();
    await dropDatabase(db);
  });

  it('renders live status and a run journal, and filters by tenant name', async () => {
    const config = project.path('fleet.config.ts');
    const journals = project.path('runs');
    // A run where umbrella fails, then a partial state: acme and globex migrated, the rest pending.
    const run = await runFleet(['migrate', '--config', config, '--tenant', 'acme,globex,umbrella', '--json'], { ...env, FLEET_JOURNAL_DIR: journals });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).journal).toContain(journals);

    const live = project.path('status.html');
    const st = await runFleet(['status', '--config', config, '--html', live], env);
    expect(st.stderr).toContain(`wrote ${live}`);

    const page = await browser.newPage();
    await page.goto(`file://${live}`);
    expect(await page.title()).toBe('Fleet status: fx');
    expect(await page.locator('.cells .cell').count()).toBe(5);
    expect(await page.locator('.cells .cell.at-head').count()).toBe(3); // global + acme + globex
    expect(await page.locator('.cells .cell.pending').count()).toBe(2); // initech + umbrella
    const groups = await page.locator('section.group h2').allTextContents();
    expect(groups).toEqual(
      expect.arrayContaining([expect.stringContaining('fx/main tenants at-head at UniqueEmail2000'), expect.stringContaining('fx/main tenants pending at CreateUsers1000')]),
    );
    // The pending group names what is pending; the at-head one its head.
    expect(await page.locator('section.group[data-state="pending"] .note').textContent()).toBe('pending: UniqueEmail2000');
    // A summary per database and track, and a legend that explains each state.
    expect(await page.locator('#databases tbody tr').allTextContents()).toEqual(['fx/mainglobalCreateTenants10001', 'fx/maintenantsUniqueEmail200022']);
    expect(await page.locator('.legend').textContent()).toContain('migrations in the code not yet applied');
    // Same colour for the same state, and a real colour (the page renders its CSS).
    const pendingColour = await page
      .locator('.cells .cell.pending')
      .first()
      .evaluate((el: unknown) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el).backgroundColor);
    expect(pendingColour).toBe('rgb(249, 168, 37)');

    await page.fill('#filter', 'glo');
    expect(await page.locator('.cells .cell').allTextContents()).toEqual(['globex']);
    expect(await page.locator('#shown').textContent()).toBe('1 of 5 targets shown');
    await page.fill('#filter', '');
    await page.selectOption('#state', 'pending');
    expect((await page.locator('.cells .cell').allTextContents()).sort()).toEqual(['initech', 'umbrella']);

    const fromJournal = project.path('run.html');
    const jr = await runFleet(['status', '--config', config, '--html', fromJournal, '--journal', 'latest'], { ...env, FLEET_JOURNAL_DIR: journals });
    expect(jr.stdout).toContain(`from the run journal ${journals}/latest-fx.json`);
    expect(jr.code).toBe(0);
    await page.goto(`file://${fromJournal}`);
    expect(await page.locator('#failures tbody tr').count()).toBe(1);
    const failure = await page.locator('#failures tbody tr').textContent();
    expect(failure).toContain('fx/main/umbrella');
    expect(failure).toContain('could not create unique index');
    expect(await page.locator('.cells .cell.failed').allTextContents()).toEqual(['umbrella']);
    // The run view tells changed from unchanged.
    expect(await page.locator('.cells .cell.changed').allTextContents()).toEqual(['acme', 'globex']);
    expect(await page.locator('.cells .cell.unchanged').count()).toBe(1); // the global track
    await page.close();
  }, 60_000);

  it('stays usable at 100,000 tenants: groups with counts, cells on demand, the filter reaches every tenant', async () => {
    const targets = Array.from({ length: 100_000 }, (_, i) => {
      const tenant = `t${String(i).padStart(6, '0')}`;
      const pending = i % 50 === 0;
      return {
        target: `big/main/${tenant}`,
        app: 'big',
        database: 'main',
        schema: `tenant_${tenant}`,
        tenant,
        state: pending ? 'pending' : 'at-head',
        applied: [],
        skipped: [],
        pending: pending ? ['AddNickname2000'] : [],
        version: pending ? 'CreateUsers1000' : 'AddNickname2000',
        head: 'AddNickname2000',
        findings: [],
        note: null,
        error: null,
      };
    });
    const report = {
      command: 'status',
      app: 'big',
      ok: true,
      summary: { targets: 100_000, 'at-head': 98_000, pending: 2_000, failed: 0, diverged: 0, missing: 0 },
      statements: 0,
      targets,
      orphans: [],
      next: [],
    };
    const { renderFleetHtml, statusView } = await import('../src/reporters/html-report');
    const html = renderFleetHtml(statusView(report as never));
    const file = join(tmpdir(), `fleet-html-100k-${process.pid}.html`);
    writeFileSync(file, html);
    try {
      const page = await browser.newPage();
      const started = Date.now();
      await page.goto(`file://${file}`);
      const loadedMs = Date.now() - started;
      const paint = await page.evaluate(() => {
        const p = (globalThis as unknown as { performance: { getEntriesByType(t: string): Array<{ name: string; startTime: number }> } }).performance;
        return p.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint')?.startTime ?? null;
      });
      // Measured, not asserted as a speed: figures go to the log (BENCHMARKS.md quotes them).
      process.stdout.write(
        `html at 100,000 tenants: ${(html.length / 1e6).toFixed(1)} MB, loaded in ${loadedMs} ms, first contentful paint ${paint === null ? 'n/a' : Math.round(paint)} ms\n`,
      );
      expect(html.length).toBeLessThan(20_000_000);
      expect(await page.locator('.cells .cell').count()).toBe(400); // 200 per group until expanded
      expect(await page.locator('#shown').textContent()).toBe('100000 of 100000 targets shown');
      await page.fill('#filter', 't099999');
      expect(await page.locator('.cells .cell').allTextContents()).toEqual(['t099999']);
      await page.fill('#filter', '');
      await page.locator('section.group[data-state="pending"] button.expand').click();
      expect(await page.locator('section.group[data-state="pending"] .cell').count()).toBe(2_000);
      await page.close();
    } finally {
      rmSync(file, { force: true });
    }
  }, 120_000);
});
