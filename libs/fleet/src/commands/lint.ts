/**
 * `fleet lint`: each track's migrations run on a scratch database as a new target would get them
 * (the same engine as migrate), the SQL they issue is captured and checked with PostgreSQL's
 * parser: the tenant track for what cannot run per tenant (lint/tenant-lint.ts), every track for
 * risky SQL on a live table (lint/risky-sql.ts, codes FLEET1xx). `migrate` runs the same check
 * first: a target that would run a migration no tenant may run is blocked before anything runs on
 * it, a run that would apply a migration with a risky-SQL error stops before any target
 * (commands/risky-gate.ts), and the extensions the tenant track creates are installed once in the
 * shared schema. Verdicts are cached by content in `.fleet/lint` (commands/lint-tracks.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { LintFinding, removePublicQualifiers } from '../lint/tenant-lint';
import { trackId } from '../targets/target';
import { CommonOptions, FleetRuntime, withRuntime } from './runtime';
import { loadEntities } from '../db/data-source';
import { lintDatabase, TrackKind, TrackLint } from './lint-tracks';

export type { TrackLint } from './lint-tracks';

export interface LintReport {
  command: 'lint';
  ok: boolean;
  tracks: TrackLint[];
  /** With --fix: files rewritten and how many `"public".` qualifiers each lost. */
  fixed: Array<{ file: string; removed: number }>;
  /** What the app's DataSource modules would do behind Fleet's back (warnings: `ok` stays true). */
  dataSources: DataSourceWarning[];
}

export interface DataSourceWarning {
  app: string;
  database: string;
  track: 'global' | 'tenant';
  module: string;
  option: 'migrationsRun';
  message: string;
}

export interface LintOptions extends CommonOptions {
  /** Remove the `"public".` qualifiers from tenant-track migration files (and nothing else), then lint again. */
  fix?: boolean;
}

/** Lints every tenant track of the app (read-only on the app's databases; a scratch database is created and dropped). */
export async function lint(options: LintOptions): Promise<LintReport> {
  const run = (first?: (runtime: FleetRuntime) => void) =>
    withRuntime(options, { createDatabases: false }, async (runtime) => {
      first?.(runtime);
      await runtime.resolveExtensions();
      return lintTracks(runtime, ['global', 'tenant']);
    });
  let dataSources: DataSourceWarning[] = [];
  let tracks = await run((runtime) => {
    dataSources = dataSourceWarnings(runtime);
  });
  const fixed: LintReport['fixed'] = [];
  if (options.fix) {
    const root = options.workspaceRoot ?? process.cwd();
    const fixable = (f: LintFinding) => f.rule === 'schema-qualified' && f.severity === 'error' && !!f.source && f.statement.includes('"public".');
    const files = new Set(tracks.flatMap((t) => t.findings.filter(fixable).map((f) => resolve(root, f.source!))));
    for (const file of files) {
      const { source, count } = removePublicQualifiers(readFileSync(file, 'utf8'));
      if (count === 0) continue;
      writeFileSync(file, source);
      fixed.push({ file, removed: count });
    }
    // What the rewrite removed is no longer a finding; the next command loads the new files.
    const done = new Set(fixed.map((f) => f.file));
    tracks = tracks.map((t) => ({ ...t, findings: t.findings.filter((f) => !(fixable(f) && done.has(resolve(root, f.source!)))) }));
  }
  return { command: 'lint', ok: tracks.every((t) => t.findings.every((f) => f.severity !== 'error')), tracks, fixed, dataSources };
}

/**
 * A DataSource with `migrationsRun: true` runs TypeORM's own migrator when the app starts: no
 * lock shared with Fleet, no tenants, and on a database Fleet migrated without TypeORM's table
 * (or whose table Fleet does not keep: `adoptTypeormTable: false`) it runs every migration again.
 * Read from the modules' options; nothing connects.
 */
export function dataSourceWarnings(runtime: FleetRuntime): DataSourceWarning[] {
  const out: DataSourceWarning[] = [];
  for (const d of runtime.databases) {
    const modules = [
      { track: 'global' as const, module: d.db.dataSource },
      { track: 'tenant' as const, module: d.db.tenants?.dataSource ?? null },
    ];
    for (const { track, module } of modules) {
      if (!module) continue;
      let options: Record<string, unknown>;
      try {
        options = loadEntities(module).options;
      } catch {
        continue; // a module that does not load is reported by whatever needs its entities
      }
      if (options.migrationsRun !== true) continue;
      const file = relative(runtime.config.workspaceRoot, module) || module;
      out.push({
        app: runtime.config.app,
        database: d.db.key,
        track,
        module: file,
        option: 'migrationsRun',
        message:
          `${file} sets migrationsRun: true: the app runs TypeORM's migrator when it starts, beside Fleet, with no lock shared with Fleet` +
          `${d.db.tenants ? ' and not per tenant' : ''}; where Fleet does not keep TypeORM's history table (a database TypeORM never migrated` +
          `${d.db.adoptTypeormTable ? '' : ', or here, adoptTypeormTable: false'}) it runs every migration again. ` +
          'Set migrationsRun: false (or remove it) and run fleet migrate at deploy.',
      });
    }
  }
  return out;
}

/** The lint of the given tracks of the runtime's databases (cached by the tracks' content). */
export async function lintTracks(runtime: FleetRuntime, kinds: readonly TrackKind[]): Promise<TrackLint[]> {
  const out: TrackLint[] = [];
  for (const d of runtime.databases) out.push(...(await lintDatabase(runtime, d, kinds)));
  return out;
}

/** The lint of every tenant track of the runtime's databases. */
export function lintTenantTracks(runtime: FleetRuntime): Promise<TrackLint[]> {
  return lintTracks(runtime, ['tenant']);
}

export interface MigrateChecks {
  /** Per tenant track: the migrations no tenant may run, and why. */
  refuseByTrack: Map<string, Map<string, string>>;
  /** Every track's lint: its risky-SQL findings decide whether the run may start (risky-gate.ts). */
  tracks: TrackLint[];
}

/**
 * What `migrate` (and `tenant create`) do before the first target: lint the tracks, add the
 * extensions the tenant tracks create (and those the entities imply) to each database's list, and
 * return the migrations no tenant may run, per track. `global: false` (tenant create, which only
 * runs the tenant track on a new, empty tenant) lints the tenant tracks only.
 */
export async function prepareMigrateChecks(runtime: FleetRuntime, options: { global: boolean } = { global: true }): Promise<MigrateChecks> {
  await runtime.resolveExtensions(); // the entities' first: the scratch run needs them too
  const tracks = await lintTracks(runtime, options.global ? ['global', 'tenant'] : ['tenant']);
  const refuse = new Map<string, Map<string, string>>();
  const extensions = new Map<string, string[]>();
  for (const t of tracks) {
    if (!t.checked)
      runtime.emit({
        type: 'notice',
        message: `warning: ${t.app}/${t.database}: the ${t.track}-track lint did not run (${t.note}); its migrations are not checked before they run`,
      });
    if (t.track !== 'tenant') continue;
    extensions.set(t.database, t.extensions);
    const errors = t.findings.filter((f) => f.severity === 'error' && f.rule !== 'risky-sql');
    if (errors.length === 0) continue;
    const byMigration = new Map<string, string>();
    for (const f of errors) byMigration.set(f.migration, `${byMigration.get(f.migration) ?? ''}${f.message} [${f.statement}] `.trimStart());
    refuse.set(trackId(t.app, t.database, 'tenant'), byMigration);
  }
  await runtime.resolveExtensions(extensions);
  return { refuseByTrack: refuse, tracks };
}

/** The tenant lint before tenant create, extensions-relocate: the migrations no tenant may run, per track. */
export async function prepareMigrate(runtime: FleetRuntime): Promise<Map<string, Map<string, string>>> {
  return (await prepareMigrateChecks(runtime, { global: false })).refuseByTrack;
}

/** For messages: a file relative to the workspace. */
export function displayPath(runtime: FleetRuntime, file: string): string {
  return relative(runtime.config.workspaceRoot, file);
}
