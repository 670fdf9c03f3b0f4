/**
 * Ctrl-C in a terminal on `npx nx run app1:migrate`, typed into a real pseudo terminal: the kernel
 * signals the whole foreground process group (npx, nx), Nx passes on signals of its own (its task
 * runner sends SIGTERM, then exits at once, and the pseudo terminal it gave the executor closes:
 * SIGHUP, and every write fails). One keypress is one interrupt: Fleet's statements are cancelled
 * on the server, the run is journalled `interrupted` with every target, no scratch database is
 * left, and Fleet's process is gone, all within 2 s of the key.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { query, useFixture, waitForBackend } from '@fleet/core/testing';
import { runInTerminal, Terminal } from './terminal';
import { WORKSPACE_ROOT } from './run-nx';

const APP = 'nxint';

describe('Ctrl-C through npx and Nx, in a terminal', () => {
  const fx = useFixture('nxint');
  let terminal: Terminal | undefined;
  afterEach(() => terminal?.kill());

  function writeProject(sleepIn: 'tenant' | 'scratch'): void {
    // Sleeps on real tenants, or only on the tenant lint's scratch tenant (tenant_scratch in a scratch database).
    const when = sleepIn === 'tenant' ? `current_schema() <> 'tenant_scratch'` : `current_schema() = 'tenant_scratch'`;
    fx.project.writeConfig({
      app: APP,
      databases: {
        main: { migrations: './global', createDatabase: true, urlEnv: 'FX_MAIN_URL', tenants: { strategy: 'schema', migrations: './tenant', discover: { list: ['a', 'b', 'c'] } } },
      },
    });
    fx.project.writeMigration('global', { name: 'Init1000', up: ['SELECT 1'] });
    // The database's name in the SQL keeps the lint's verdict cache (by content) from skipping the scratch run.
    fx.project.writeMigration('tenant', {
      name: 'Backfill1000',
      up: ['CREATE TABLE items (id int)', `SELECT pg_sleep(CASE WHEN ${when} THEN 30 ELSE 0 END) /* ${fx.db} */`],
    });
  }

  function start(): Terminal {
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NX_DAEMON: 'false',
      NX_SKIP_NX_CACHE: 'true',
      NX_NO_CLOUD: 'true',
      NX_TUI: 'false',
      FLEET_JOURNAL_DIR: fx.project.path('runs'),
      ...fx.env,
    };
    terminal = runInTerminal(['npx', 'nx', 'run', 'app1:migrate', `--config=${fx.project.path('fleet.config.ts')}`], env, WORKSPACE_ROOT);
    return terminal;
  }

  /** Fleet's sessions still running a statement on this server. */
  const fleetStatements = async () =>
    (
      await query<{ n: number }>('postgres', `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state <> 'idle' AND pid <> pg_backend_pid()`, [
        `fleet:${APP}`,
      ])
    )[0].n;

  /** The run's journal once it is final, and the pid of the process that wrote it (its name ends in it). */
  function finalJournal(): { state: string; results: unknown[]; pid: number } | null {
    const dir = fx.project.path('runs');
    const latest = join(dir, `latest-${APP}.json`);
    if (!existsSync(latest)) return null;
    const journal = JSON.parse(readFileSync(latest, 'utf8'));
    if (journal.state === 'running') return null;
    const file = readdirSync(dir).find((f) => /-migrate-\d+\.json$/.test(f))!;
    return { ...journal, pid: Number(/-(\d+)\.json$/.exec(file)![1]) };
  }

  /** Whether the process still runs (an exited one whose new parent has not reaped it yet is a zombie: gone). */
  function alive(pid: number): boolean {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  }

  /** Polls until `done` holds or `ms` (2 s) have passed since the key; returns whether it held. */
  async function within2s(keyAt: number, done: () => Promise<boolean> | boolean, ms = 2_000): Promise<boolean> {
    while (Date.now() - keyAt < ms) {
      if (await done()) return true;
      await new Promise((r) => setTimeout(r, 25));
    }
    return done();
  }

  it('during a slow tenant migration: statements cancelled, run journalled interrupted with every target, Fleet gone, within 2 s', async () => {
    writeProject('tenant');
    const term = start();
    await waitForBackend(fx.db, 'pg_sleep(CASE', 90_000);
    const keyAt = Date.now();
    term.interrupt();
    const exited = await term.exited;
    expect(exited.at - keyAt).toBeLessThan(2_000);
    expect(await within2s(keyAt, async () => (await fleetStatements()) === 0)).toBe(true);
    const ok = await within2s(keyAt, () => finalJournal() !== null && !alive(finalJournal()!.pid));
    expect(ok).toBe(true);
    const journal = finalJournal()!;
    expect(journal.state).toBe('interrupted');
    expect(journal.results).toHaveLength(4); // the global track and the three tenants
    const shown = term.output();
    expect(shown).toContain('fleet: SIGINT: stopping');
    expect(shown).toContain('Run journal: '); // where the report is once the terminal is gone, as the stop message says
    expect(shown).toContain('is in the run journal named above');
    expect(shown).not.toContain('exiting now');
    // Rolled back: no tenant kept the table its migration created before the sleep.
    expect(await query(fx.db, `SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'items'`)).toEqual([{ n: 0 }]);
  }, 150_000);

  it("during the tenant lint's scratch run: the scratch database is dropped, within 2 s", async () => {
    writeProject('scratch');
    const term = start();
    const deadline = Date.now() + 90_000;
    let scratch: string | undefined;
    while (!scratch && Date.now() < deadline) {
      const rows = await query<{ datname: string }>(
        'postgres',
        `SELECT datname FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND strpos(query, 'pg_sleep(CASE') > 0`,
        [`fleet:${APP}`],
      );
      scratch = rows[0]?.datname;
      if (!scratch) await new Promise((r) => setTimeout(r, 50));
    }
    expect(scratch).toMatch(/^fleet_scratch_/);
    const keyAt = Date.now();
    term.interrupt();
    await term.exited;
    const gone = async () => (await query<{ n: number }>('postgres', `SELECT count(*)::int AS n FROM pg_database WHERE datname = $1`, [scratch]))[0].n === 0;
    expect(await within2s(keyAt, gone)).toBe(true);
    expect(await within2s(keyAt, async () => (await fleetStatements()) === 0)).toBe(true);
    // The journal comes after the scratch database's DROP, which alone took up to a second on a loaded 2-core machine.
    expect(await within2s(keyAt, () => finalJournal() !== null && !alive(finalJournal()!.pid), 4_000)).toBe(true);
    expect(finalJournal()!.state).toBe('interrupted');
  }, 150_000);
});
