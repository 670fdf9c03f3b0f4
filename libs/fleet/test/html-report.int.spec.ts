/**
 * `status --html` rendered in a real headless Chromium (Debian's chromium, driven by
 * playwright-core): cells coloured by state, grouped by version, failures listed, the filter works.
 */
import { existsSync } from 'node:fs';
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
    project.writeMigration('tenant', { name: 'UniqueEmail2000', up: ['CREATE UNIQUE INDEX uq_users_email ON users (email)'] });
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
    expect(groups).toEqual(expect.arrayContaining([expect.stringContaining('tenants at UniqueEmail2000'), expect.stringContaining('tenants at CreateUsers1000')]));
    // Same colour for the same state, and a real colour (the page renders its CSS).
    const pendingColour = await page
      .locator('.cells .cell.pending')
      .first()
      .evaluate((el: unknown) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(el).backgroundColor);
    expect(pendingColour).toBe('rgb(249, 168, 37)');

    await page.fill('#filter', 'glo');
    expect(await page.locator('.cells .cell:not(.hidden)').allTextContents()).toEqual(['globex']);
    expect(await page.locator('#shown').textContent()).toBe('1 of 5 targets shown');

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
    await page.close();
  }, 60_000);
});
