/**
 * The lint of one database's tracks: each runs on a scratch database (the same engine as
 * migrate), the SQL every migration sends is recorded with the source line of the call that sent
 * it, then checked: the tenant track for what cannot run per tenant (lint/tenant-lint.ts), both
 * tracks for risky SQL on a live table (lint/risky-sql.ts). Verdicts are cached by content in
 * `.fleet/lint`, one file per track.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { errorToJSON } from '../errors';
import type { RunReport } from '../executor/result';
import { IssuedSql, lintRiskySql } from '../lint/risky-sql';
import { framePosition, sourceLine, sourceLines } from '../lint/source-lines';
import { DIRECTIVE, directivesAbove, Suppression } from '../lint/suppressions';
import { LintFinding, lintStatements } from '../lint/tenant-lint';
import type { MigrationDefinition } from '../migration/migration';
import type { Target } from '../targets/target';
import type { FleetRuntime, ResolvedDatabase } from './runtime';
import { runTrackOnScratch, withScratchDatabase } from './scratch';

/** Bump when the lint's rules change: cached verdicts of older rules are not reused. */
const LINT_VERSION = 3;

export type TrackKind = 'global' | 'tenant';

export interface TrackLint {
  app: string;
  database: string;
  track: TrackKind;
  migrations: number;
  /** False when the track could not be run on a scratch database (see `note`): nothing was checked. */
  checked: boolean;
  note: string | null;
  findings: LintFinding[];
  /** Extensions the track's migrations create: installed in the shared schema before tenants run (tenant track). */
  extensions: string[];
}

type Verdict = Pick<TrackLint, 'checked' | 'note' | 'findings' | 'extensions'>;

/** The lint of the `wanted` tracks of `d` that have migrations (from the cache where it has them). */
export async function lintDatabase(runtime: FleetRuntime, d: ResolvedDatabase, wanted: readonly TrackKind[]): Promise<TrackLint[]> {
  const tracks = wanted.filter((t) => migrationsOf(d, t).length > 0);
  const cacheFiles = new Map(tracks.map((t) => [t, join(runtime.config.workspaceRoot, '.fleet', 'lint', `${cacheKey(d, t)}.json`)]));
  const verdicts = new Map<TrackKind, Verdict>();
  for (const t of tracks) {
    const cached = readCache(cacheFiles.get(t)!);
    if (cached) verdicts.set(t, cached);
  }
  const missing = tracks.filter((t) => !verdicts.has(t));
  try {
    for (const [t, v] of await checkOnScratch(runtime, d, missing)) {
      verdicts.set(t, v);
      writeCache(cacheFiles.get(t)!, v);
    }
  } catch (err) {
    // No scratch database (e.g. no CREATEDB privilege): say so, never block a deploy on it.
    for (const t of missing) verdicts.set(t, { checked: false, note: `no scratch database: ${errorToJSON(err).message}`, findings: [], extensions: [] });
  }
  return tracks.map((t) => {
    const migrations = migrationsOf(d, t);
    const v = verdicts.get(t)!;
    return {
      app: runtime.config.app,
      database: d.db.key,
      track: t,
      migrations: migrations.length,
      ...v,
      findings: v.findings.map((f) => ({ ...f, source: sourceOf(migrations, f.migration) })),
    };
  });
}

export function migrationsOf(d: ResolvedDatabase, track: TrackKind): MigrationDefinition[] {
  return track === 'tenant' ? (d.db.tenants ? (d.tenantMigrations ?? []) : []) : d.globalTemplate.migrations;
}

/**
 * Runs the tracks on scratch databases and checks what they sent. Tenant schemas share their
 * database with the global track, so one run (global, then a tenant) serves both; a tenant
 * database does not, so each track gets its own.
 */
async function checkOnScratch(runtime: FleetRuntime, d: ResolvedDatabase, tracks: readonly TrackKind[]): Promise<Map<TrackKind, Verdict>> {
  const out = new Map<TrackKind, Verdict>();
  if (tracks.length === 0) return out;
  const runs: TrackKind[][] = tracks.includes('tenant') && !d.strategy!.databasePerTenant ? [['tenant']] : tracks.map((t) => [t]);
  for (const [run] of runs) {
    await withScratchDatabase(runtime, d, async (scratch) => {
      const recorder = new SqlRecorder(runtime.config.workspaceRoot);
      const result = await runTrackOnScratch(runtime, d, run, scratch, (t, migration, sql) => recorder.add(kindOf(t), migration, sql, migrationsOf(d, kindOf(t))));
      for (const t of tracks.filter((k) => k === run || (run === 'tenant' && k === 'global'))) {
        out.set(t, await verdict(d, t, result, recorder));
      }
    });
  }
  return out;
}

async function verdict(d: ResolvedDatabase, track: TrackKind, run: Awaited<ReturnType<typeof runTrackOnScratch>>, recorder: SqlRecorder): Promise<Verdict> {
  const migrations = migrationsOf(d, track);
  const findings: LintFinding[] = [];
  if (track === 'tenant') {
    const shared = d.strategy!.sharedSchemas(d.db.tenants!);
    const byName = new Map(migrations.map((m) => [m.name, m]));
    for (const [name, sqls] of run.issued) {
      const allow = (byName.get(name)?.instance as { lintAllow?: string[] } | undefined)?.lintAllow;
      findings.push(...(await lintStatements(name, sqls, { targetSchema: run.target.info.schema, sharedSchemas: shared, allow })));
    }
  }
  findings.push(
    ...(await lintRiskySql(
      migrations.map((m) => ({ name: m.name, transactional: m.transactional, issued: recorder.issued(track, m.name) })),
      { lockTimeoutMs: d.db.lockTimeoutMs },
    )),
  );
  const failed = failedResult(run.report, track);
  if (failed) {
    const at = failed.failed?.migration ?? null;
    const unchecked = at ? migrations.slice(migrations.findIndex((m) => m.name === at) + 1).map((m) => m.name) : [];
    const empty = track === 'global' ? 'database' : d.strategy!.kind === 'schema' ? 'tenant schema' : 'tenant database';
    findings.push({
      migration: at ?? '(setup)',
      rule: 'not-checked',
      severity: 'warning',
      statement: '',
      message:
        `the track does not run on an empty ${empty} (${String(failed.failed?.error.message ?? failed.findings.map((f) => f.message).join(' '))})` +
        (unchecked.length ? `; not checked: ${unchecked.join(', ')}` : ''),
    });
  }
  const extensions = [...new Set(findings.filter((f) => f.rule === 'create-extension' && f.severity === 'info').map((f) => f.extension!))];
  return { checked: true, note: null, findings, extensions };
}

function failedResult(report: RunReport, track: TrackKind) {
  return report.results.find((r) => (r.outcome === 'failed' || r.outcome === 'blocked') && (track === 'tenant' || r.tenant === null));
}

function kindOf(t: Target): TrackKind {
  return t.info.tenant === null ? 'global' : 'tenant';
}

/** What each migration sent, with the source line of the call and the suppressions written above it. */
class SqlRecorder {
  private readonly sent = new Map<string, IssuedSql[]>();
  /** One set of directives per (file, line): a call in a loop shares them (one error, one "used"). */
  private readonly directives = new Map<string, Suppression[]>();
  private readonly withDirectives = new Map<string, boolean>();

  constructor(private readonly root: string) {}

  add(track: TrackKind, migration: string, sql: string, migrations: MigrationDefinition[]): void {
    const source = migrations.find((m) => m.name === migration)?.source;
    // The line is mapped when something asks for it (a finding, or a file with directives): the
    // mapping compiles a TypeScript file again with swc, and most migrations report nothing.
    let line: () => number | null = () => null;
    let directives: Suppression[] = [];
    if (source && !source.startsWith('class ')) {
      const file = isAbsolute(source) ? source : resolve(this.root, source);
      const at = framePosition(file);
      if (at) {
        let mapped: number | undefined;
        line = () => (mapped ??= sourceLine(file, at));
        if (this.hasDirectives(file)) {
          const key = `${file}:${line()}`;
          if (!this.directives.has(key)) this.directives.set(key, directivesAbove(sourceLines(file), line()!));
          directives = this.directives.get(key)!;
        }
      }
    }
    const key = `${track}\u0000${migration}`;
    if (!this.sent.has(key)) this.sent.set(key, []);
    this.sent.get(key)!.push({
      sql,
      get line() {
        return line();
      },
      directives,
    });
  }

  /** Whether a source file has any suppression comment at all (most have none). */
  private hasDirectives(file: string): boolean {
    let known = this.withDirectives.get(file);
    if (known === undefined) this.withDirectives.set(file, (known = sourceLines(file).some((l) => l.toLowerCase().includes(DIRECTIVE))));
    return known;
  }

  issued(track: TrackKind, migration: string): IssuedSql[] {
    return this.sent.get(`${track}\u0000${migration}`) ?? [];
  }
}

function sourceOf(migrations: MigrationDefinition[], name: string): string | undefined {
  return migrations.find((m) => m.name === name)?.source;
}

function cacheKey(d: ResolvedDatabase, track: TrackKind): string {
  const tenant = track === 'tenant';
  const global = tenant && d.strategy!.databasePerTenant ? [] : d.globalTemplate.migrations;
  const parts = [
    `v${LINT_VERSION}`,
    track,
    `lockTimeout:${d.db.lockTimeoutMs === 0 ? 'off' : 'on'}`,
    ...(tenant ? [d.strategy!.kind, d.db.tenants!.schemaTemplate, d.strategy!.sharedSchemas(d.db.tenants!).join(','), d.extensions.names.join(',')] : []),
    ...global.map((m) => `g:${m.name}:${m.checksum}:${m.transactional}`),
    ...(tenant ? (d.tenantMigrations ?? []).map((m) => `t:${m.name}:${m.checksum}:${m.transactional}`) : []),
  ];
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}

function readCache(file: string): Verdict | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Verdict;
  } catch {
    return null;
  }
}

function writeCache(file: string, value: Verdict): void {
  try {
    mkdirSync(join(file, '..'), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ ...value, findings: value.findings.map(({ source: _s, ...f }) => f) }));
    renameSync(tmp, file);
  } catch {
    // A read-only workspace only loses the cache.
  }
}
