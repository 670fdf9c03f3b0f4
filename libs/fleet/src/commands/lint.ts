/**
 * `fleet lint`: each tenant track's migrations run on a scratch database as a new tenant would get
 * them (the same engine as migrate), the SQL they issue is captured and checked with PostgreSQL's
 * parser (lint/tenant-lint.ts). `migrate` runs the same check first: a target that would run a
 * refused migration is blocked before anything runs on it, and the extensions the track creates
 * are installed once in the shared schema. Verdicts are cached by content in `.fleet/lint`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { errorToJSON } from '../errors';
import { LintFinding, lintStatements, removePublicQualifiers } from '../lint/tenant-lint';
import type { MigrationDefinition } from '../migration/migration';
import { trackId } from '../targets/target';
import { CommonOptions, FleetRuntime, ResolvedDatabase, withRuntime } from './runtime';
import { loadEntities } from '../db/data-source';
import { runTrackOnScratch, withScratchDatabase } from './scratch';

/** Bump when the lint's rules change: cached verdicts of older rules are not reused. */
const LINT_VERSION = 2;

export interface TrackLint {
  app: string;
  database: string;
  track: 'tenant';
  migrations: number;
  /** False when the track could not be run on a scratch database (see `note`): nothing was checked. */
  checked: boolean;
  note: string | null;
  findings: LintFinding[];
  /** Extensions the track's migrations create: installed in the shared schema before tenants run. */
  extensions: string[];
}

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
      return lintTenantTracks(runtime);
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

/** The lint of every tenant track of the runtime's databases (cached by the tracks' content). */
export async function lintTenantTracks(runtime: FleetRuntime): Promise<TrackLint[]> {
  const out: TrackLint[] = [];
  for (const d of runtime.databases) {
    if (!d.db.tenants || !d.tenantMigrations || d.tenantMigrations.length === 0) continue;
    out.push(await lintTrack(runtime, d));
  }
  return out;
}

/**
 * What `migrate` (and `tenant create`) do before the first target: lint the tenant tracks, add
 * the extensions they create (and those the entities imply) to each database's list, and return
 * the migrations no tenant may run, per track.
 */
export async function prepareMigrate(runtime: FleetRuntime): Promise<Map<string, Map<string, string>>> {
  await runtime.resolveExtensions(); // the entities' first: the scratch run needs them too
  const tracks = await lintTenantTracks(runtime);
  const refuse = new Map<string, Map<string, string>>();
  const extensions = new Map<string, string[]>();
  for (const t of tracks) {
    extensions.set(t.database, t.extensions);
    if (!t.checked)
      runtime.emit({ type: 'notice', message: `warning: ${t.app}/${t.database}: the tenant lint did not run (${t.note}); tenant migrations are not checked before they run` });
    const errors = t.findings.filter((f) => f.severity === 'error');
    if (errors.length === 0) continue;
    const byMigration = new Map<string, string>();
    for (const f of errors) byMigration.set(f.migration, `${byMigration.get(f.migration) ?? ''}${f.message} [${f.statement}] `.trimStart());
    refuse.set(trackId(t.app, t.database, 'tenant'), byMigration);
  }
  await runtime.resolveExtensions(extensions);
  return refuse;
}

async function lintTrack(runtime: FleetRuntime, d: ResolvedDatabase): Promise<TrackLint> {
  const migrations = d.tenantMigrations!;
  const shared = d.strategy!.sharedSchemas(d.db.tenants!);
  const cacheFile = join(runtime.config.workspaceRoot, '.fleet', 'lint', `${cacheKey(d, migrations, shared)}.json`);
  const cached = readCache(cacheFile);
  const base: Omit<TrackLint, 'checked' | 'note' | 'findings' | 'extensions'> = { app: runtime.config.app, database: d.db.key, track: 'tenant', migrations: migrations.length };
  if (cached) return { ...base, ...cached, findings: cached.findings.map((f) => ({ ...f, source: sourceOf(migrations, f.migration) })) };
  let result: Pick<TrackLint, 'checked' | 'note' | 'findings' | 'extensions'>;
  try {
    result = await withScratchDatabase(runtime, d, async (scratch) => {
      const run = await runTrackOnScratch(runtime, d, 'tenant', scratch);
      const findings: LintFinding[] = [];
      const byName = new Map(migrations.map((m) => [m.name, m]));
      for (const [name, sqls] of run.issued) {
        const allow = (byName.get(name)?.instance as { lintAllow?: string[] } | undefined)?.lintAllow;
        findings.push(...(await lintStatements(name, sqls, { targetSchema: run.target.info.schema, sharedSchemas: shared, allow })));
      }
      const failed = run.report.results.find((r) => r.outcome === 'failed' || r.outcome === 'blocked');
      if (failed) {
        const at = failed.failed?.migration ?? null;
        const unchecked = at ? migrations.slice(migrations.findIndex((m) => m.name === at) + 1).map((m) => m.name) : [];
        findings.push({
          migration: at ?? '(setup)',
          rule: 'not-checked',
          severity: 'warning',
          statement: '',
          message:
            `the track does not run on an empty ${d.strategy!.kind === 'schema' ? 'tenant schema' : 'tenant database'} (${String(failed.failed?.error.message ?? failed.findings.map((f) => f.message).join(' '))})` +
            (unchecked.length ? `; not checked: ${unchecked.join(', ')}` : ''),
        });
      }
      const extensions = [...new Set(findings.filter((f) => f.rule === 'create-extension' && f.severity === 'info').map((f) => f.extension!))];
      return { checked: true, note: null, findings, extensions };
    });
  } catch (err) {
    // No scratch database (e.g. no CREATEDB privilege): say so, never block a deploy on it.
    return { ...base, checked: false, note: `no scratch database: ${errorToJSON(err).message}`, findings: [], extensions: [] };
  }
  writeCache(cacheFile, result);
  return { ...base, ...result, findings: result.findings.map((f) => ({ ...f, source: sourceOf(migrations, f.migration) })) };
}

function sourceOf(migrations: MigrationDefinition[], name: string): string | undefined {
  return migrations.find((m) => m.name === name)?.source;
}

function cacheKey(d: ResolvedDatabase, migrations: MigrationDefinition[], shared: string[]): string {
  const global = d.strategy!.databasePerTenant ? [] : d.globalTemplate.migrations;
  const parts = [
    `v${LINT_VERSION}`,
    d.strategy!.kind,
    d.db.tenants!.schemaTemplate,
    shared.join(','),
    d.extensions.names.join(','),
    ...global.map((m) => `g:${m.name}:${m.checksum}`),
    ...migrations.map((m) => `t:${m.name}:${m.checksum}`),
  ];
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}

type CachedLint = Pick<TrackLint, 'checked' | 'note' | 'findings' | 'extensions'>;

function readCache(file: string): CachedLint | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as CachedLint;
  } catch {
    return null;
  }
}

function writeCache(file: string, value: CachedLint): void {
  try {
    mkdirSync(join(file, '..'), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ ...value, findings: value.findings.map(({ source: _s, ...f }) => f) }));
    renameSync(tmp, file);
  } catch {
    // A read-only workspace only loses the cache.
  }
}

/** For messages: a file relative to the workspace. */
export function displayPath(runtime: FleetRuntime, file: string): string {
  return relative(runtime.config.workspaceRoot, file);
}
