import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CADENCE_FILE, CadenceMigration, CadenceRecord, cadenceRecorded, readCadence, writeCadence } from '../cadence/cadence-record';
import { tablesChangedBy } from '../cadence/tables-changed';
import { schemaBuilderSql } from '../drift/entity-diff';
import { sharedTables, TableMapping, tableMappings, workspaceApps } from '../cadence/shared-tables';
import type { LoadedConfig } from '../config/load-config';
import { ConfigError } from '../errors';
import type { MigrationDefinition } from '../migration/migration';
import { generateMigrationSql } from './generate';
import { withRuntime } from './runtime';
import { runTrackOnScratch, withScratchDatabase } from './scratch';

export interface CadenceProblem {
  /** a: a shared entity changed without a migration in a mapping app; b: a migration changes a shared table outside a step; c: the record is incomplete or out of order. */
  rule: 'a' | 'b' | 'c';
  app: string;
  database: string | null;
  track: 'global' | 'tenant' | null;
  migration: string | null;
  table: string | null;
  message: string;
}

export interface CadenceReport {
  command: 'cadence-check';
  ok: boolean;
  shared: Array<{ table: string; mappedBy: TableMapping[] }>;
  steps: number;
  /** Per track, the last migration that existed before the cadence check (fleet.cadence.json's `baseline`). */
  baseline: CadenceMigration[];
  /** True when this run recorded the baseline (the workspace had no fleet.cadence.json): commit it. */
  baselineRecorded: boolean;
  problems: CadenceProblem[];
}

export interface CadenceOptions {
  workspaceRoot?: string;
  env?: NodeJS.ProcessEnv;
  /** Only report problems of this app (the Nx target of one project). */
  app?: string;
}

const trackKey = (m: { app: string; database: string; track: string }) => `${m.app}/${m.database}/${m.track}`;
const HOW = 'run `nx g @fleet/nx-plugin:shared-migration <Name>` to write the sibling migrations and their cadence step';

interface TrackFacts {
  mapping: TableMapping;
  migrations: MigrationDefinition[];
  touched: Map<string, string[]>;
  pendingTables: string[];
}

/**
 * Runs every track that maps a shared table on a scratch database, by the same engine as migrate
 * (scratch.ts), recording the SQL each migration issues; then compares the result with the
 * track's entities.
 */
async function inspectSharedTracks(apps: LoadedConfig[], shared: Map<string, TableMapping[]>, options: CadenceOptions): Promise<TrackFacts[]> {
  const wanted = new Set([...shared.values()].flat().map(trackKey));
  const out: TrackFacts[] = [];
  for (const app of apps) {
    const keys = app.databases.flatMap((d) => (['global', 'tenant'] as const).map((track) => ({ app: app.app, database: d.key, track })));
    const mine = keys.filter((k) => wanted.has(trackKey(k)));
    if (mine.length === 0) continue;
    await withRuntime({ config: app, workspaceRoot: options.workspaceRoot, env: options.env }, { createDatabases: false }, async (runtime) => {
      await runtime.resolveExtensions();
      for (const m of mine) {
        const d = runtime.databases.find((x) => x.db.key === m.database)!;
        const migrations = m.track === 'tenant' ? d.tenantMigrations! : d.globalTemplate.migrations;
        const dataSource = m.track === 'tenant' ? d.db.tenants!.dataSource : d.db.dataSource;
        const facts = await withScratchDatabase(runtime, d, async (scratch) => {
          const run = await runTrackOnScratch(runtime, d, m.track, scratch);
          const failed = run.report.results.find((r) => r.outcome !== 'changed' && r.outcome !== 'unchanged');
          if (failed) {
            throw new ConfigError(
              `The ${m.track} migrations of ${runtime.config.app}/${d.db.key} do not run on a scratch database: ${String(failed.failed?.error.message ?? failed.findings.map((f) => f.message).join(' '))}`,
            );
          }
          const touched = new Map<string, string[]>();
          for (const migration of migrations) touched.set(migration.name, await tablesChangedBy(run.issued.get(migration.name) ?? []));
          await runtime.connections.release(scratch);
          const pending = dataSource ? (await schemaBuilderSql(scratch, run.target.info.schema, dataSource, runtime.settings.applicationName)).up : [];
          return { touched, pendingTables: await tablesChangedBy(pending) };
        });
        out.push({ mapping: m, migrations, ...facts });
      }
    });
  }
  return out;
}

/**
 * The cadence of shared tables: a table mapped by several apps changes in every one of them,
 * through one cadence step of `fleet.cadence.json` that lists each app's migration.
 */
export async function cadenceCheck(options: CadenceOptions = {}): Promise<CadenceReport> {
  const root = options.workspaceRoot ?? process.cwd();
  const apps = workspaceApps(root);
  const shared = sharedTables(await tableMappings(apps));
  const fresh = !cadenceRecorded(root);
  let record = readCadence(root);
  const problems: CadenceProblem[] = [];
  const facts = await inspectSharedTracks(apps, shared, options);
  const factsByTrack = new Map(facts.map((f) => [trackKey(f.mapping), f]));
  // The first check of a workspace: what is there already is the baseline, not a problem.
  const baselineRecorded = fresh && shared.size > 0;
  if (baselineRecorded) {
    record = { baseline: baselineOf(facts), steps: [] };
    writeCadence(root, record);
  }
  const baselineEnd = baselineEnds(record, factsByTrack, problems);

  // Where each listed migration sits in the record.
  const stepOf = new Map<string, number>();
  record.steps.forEach((step, i) => step.migrations.forEach((m) => stepOf.set(`${trackKey(m)}:${m.migration}`, i)));

  // (c) every step gives every mapping app a migration that exists, in step order per app.
  record.steps.forEach((step) => {
    for (const table of step.tables) {
      for (const mapping of shared.get(table) ?? []) {
        if (!step.migrations.some((m) => trackKey(m) === trackKey(mapping))) {
          problems.push({
            rule: 'c',
            ...mapping,
            migration: null,
            table,
            message: `Cadence step ${step.id} changes shared table ${table}, but gives ${mapping.app} (${mapping.database}, ${mapping.track} track) no migration, although it maps ${table}. Add its migration to the step (${HOW}).`,
          });
        }
      }
    }
    for (const m of step.migrations) {
      const f = factsByTrack.get(trackKey(m));
      if (!f || !f.migrations.some((x) => x.name === m.migration)) {
        problems.push({
          rule: 'c',
          ...m,
          table: null,
          message: `Cadence step ${step.id} lists ${m.migration} for ${m.app} (${m.database}, ${m.track} track), but that track has no such migration: the step is missing in ${m.app}. Write it, or fix the name in ${CADENCE_FILE}.`,
        });
      }
    }
  });
  for (const f of facts) {
    const listed = f.migrations.filter((m) => stepOf.has(`${trackKey(f.mapping)}:${m.name}`));
    for (let i = 1; i < listed.length; i++) {
      const a = stepOf.get(`${trackKey(f.mapping)}:${listed[i - 1].name}`)!;
      const b = stepOf.get(`${trackKey(f.mapping)}:${listed[i].name}`)!;
      if (b < a) {
        problems.push({
          rule: 'c',
          ...f.mapping,
          migration: listed[i].name,
          table: null,
          message: `${f.mapping.app} runs cadence step ${record.steps[b].id} (${listed[i].name}) after step ${record.steps[a].id} (${listed[i - 1].name}): the steps are ordered differently than in ${CADENCE_FILE}. Renumber the migration's timestamp so the app follows the cadence order.`,
        });
      }
    }
  }

  for (const f of facts) {
    // (b) a migration that changes a shared table must belong to a step that lists that table.
    const end = baselineEnd.get(trackKey(f.mapping)) ?? -1;
    for (const [position, m] of f.migrations.entries()) {
      if (position <= end) continue; // history from before the cadence check
      for (const table of f.touched.get(m.name) ?? []) {
        if (!shared.has(table) || !(shared.get(table) ?? []).some((x) => trackKey(x) === trackKey(f.mapping))) continue;
        const step = stepOf.get(`${trackKey(f.mapping)}:${m.name}`);
        if (step === undefined || !record.steps[step].tables.includes(table)) {
          problems.push({
            rule: 'b',
            ...f.mapping,
            migration: m.name,
            table,
            message:
              `${f.mapping.app} migration ${m.name} changes shared table ${table} outside a cadence step: the other apps that map ${table} would drift apart. Put it in a step with their migrations (${HOW}), or add it to the step it belongs to in ${CADENCE_FILE}.` +
              (record.baseline === undefined
                ? ` If it existed before the cadence check, it is history: list each track's last such migration under "baseline" in ${CADENCE_FILE} ({ "app", "database", "track", "migration" }).`
                : ''),
          });
        }
      }
    }
    // (a) the entities changed a shared table and this app has no migration for it.
    for (const table of f.pendingTables) {
      if (!shared.has(table)) continue;
      problems.push({
        rule: 'a',
        ...f.mapping,
        migration: null,
        table,
        message: `Shared entity of table ${table} changed, but ${f.mapping.app} (${f.mapping.database}, ${f.mapping.track} track) has no migration for it: ${HOW}.`,
      });
    }
  }
  const mine = options.app ? problems.filter((p) => p.app === options.app) : problems;
  return {
    command: 'cadence-check',
    ok: mine.length === 0,
    shared: [...shared].map(([table, mappedBy]) => ({ table, mappedBy })),
    steps: record.steps.length,
    baseline: record.baseline ?? [],
    baselineRecorded,
    problems: mine,
  };
}

/** Each track's last migration today: the baseline of a workspace that had no cadence record. */
function baselineOf(facts: TrackFacts[]): CadenceMigration[] {
  return facts.filter((f) => f.migrations.length > 0).map((f) => ({ ...f.mapping, migration: f.migrations[f.migrations.length - 1].name }));
}

/** Per track, the position of its baseline migration (rule c when the record names one the track does not have). */
function baselineEnds(record: CadenceRecord, factsByTrack: Map<string, TrackFacts>, problems: CadenceProblem[]): Map<string, number> {
  const ends = new Map<string, number>();
  for (const b of record.baseline ?? []) {
    const f = factsByTrack.get(trackKey(b));
    const position = f ? f.migrations.findIndex((m) => m.name === b.migration) : -1;
    if (position >= 0) ends.set(trackKey(b), position);
    else if (f) {
      problems.push({
        rule: 'c',
        ...b,
        table: null,
        message: `The baseline of ${CADENCE_FILE} ends ${b.app} (${b.database}, ${b.track} track) at ${b.migration}, but that track has no such migration: fix the name (the track's last migration from before the cadence check).`,
      });
    }
  }
  return ends;
}

export interface SharedMigrationOptions {
  workspaceRoot?: string;
  env?: NodeJS.ProcessEnv;
  /** PascalCase name; the timestamp is appended. */
  name: string;
  /** Cadence step id (default: `<timestamp>-<name>`). */
  stepId?: string;
  timestamp?: number;
  /** Writes each file (default: to disk). The Nx generator passes its Tree. */
  write?: (path: string, content: string) => void;
  /** Renders the migration source (the Nx generator passes its template). */
  render: (args: { className: string; app: string; database: string; track: 'global' | 'tenant'; up: string[]; down: string[] }) => string;
}

/**
 * For a change to shared entities: in every app and track that maps a changed shared table, a
 * migration with the generated SQL, all linked by one new cadence step appended to the record.
 */
export async function sharedMigration(options: SharedMigrationOptions): Promise<{ step: string; files: string[]; tables: string[] }> {
  const root = options.workspaceRoot ?? process.cwd();
  if (!/^[A-Z][A-Za-z0-9]*[A-Za-z]$/.test(options.name)) throw new ConfigError(`Migration name "${options.name}" must be PascalCase, e.g. AddUserNickname.`);
  const apps = workspaceApps(root);
  const shared = sharedTables(await tableMappings(apps));
  const fresh = !cadenceRecorded(root);
  const timestamp = options.timestamp ?? Date.now();
  const write = options.write ?? ((path: string, content: string) => writeFileSync(join(root, path), content));
  const files: string[] = [];
  const migrations: CadenceMigration[] = [];
  const tables = new Set<string>();
  const facts = await inspectSharedTracks(apps, shared, { workspaceRoot: root, env: options.env });
  for (const f of facts) {
    const changed = f.pendingTables.filter((t) => shared.has(t));
    if (changed.length === 0) continue;
    // The SQL of this track, up and down, by the same path as `migration --generate`.
    const app = apps.find((a) => a.app === f.mapping.app)!;
    const sql = await generateMigrationSql({ config: app, workspaceRoot: root, env: options.env, database: f.mapping.database, track: f.mapping.track });
    const db = app.databases.find((d) => d.key === f.mapping.database)!;
    const dir = f.mapping.track === 'tenant' ? db.tenants!.migrationsDir : db.migrationsDir;
    const className = `${options.name}${timestamp}`;
    const path = relative(root, join(dir, `${timestamp}-${options.name}.ts`));
    write(path, options.render({ className, ...f.mapping, up: sql.up, down: sql.down }));
    files.push(path);
    migrations.push({ ...f.mapping, migration: className });
    changed.forEach((t) => tables.add(t));
  }
  if (files.length === 0) throw new ConfigError('No shared entity differs from its migrations: nothing to generate.');
  // A workspace's first step: the migrations from before it are its baseline.
  const record: CadenceRecord = fresh ? { baseline: baselineOf(facts), steps: [] } : readCadence(root);
  const step = options.stepId ?? `${timestamp}-${options.name}`;
  record.steps.push({ id: step, tables: [...tables].sort(), migrations });
  writeCadence(root, record, write);
  return { step, files, tables: [...tables].sort() };
}
