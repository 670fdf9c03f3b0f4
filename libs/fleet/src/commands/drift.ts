import { databaseKey } from '../db/connection-spec';
import { DriftChange, entityDrift } from '../drift/entity-diff';
import { diffFacts, fingerprintSchemas, schemaFacts } from '../drift/schema-facts';
import { errorToJSON } from '../errors';
import type { Target } from '../targets/target';
import { CommonOptions, FleetRuntime, ResolvedDatabase, withRuntime } from './runtime';

export interface TargetDrift {
  target: string;
  database: string;
  schema: string;
  tenant: string | null;
  /** `clean`, `drift`, `error`, or `unchecked` (no dataSource configured for its track). */
  state: 'clean' | 'drift' | 'error' | 'unchecked';
  changes: DriftChange[];
  /** Structural fingerprint (tenant tracks): identical tenants share it. */
  shape: string | null;
  error: Record<string, unknown> | null;
}

export interface DriftReport {
  command: 'drift';
  app: string;
  ok: boolean;
  targets: TargetDrift[];
  /** Tenant shapes per database: how many tenants share each structure. */
  shapes: Array<{ database: string; shape: string; tenants: number; example: string }>;
  /** How many full entity comparisons ran (one per shape, not one per tenant). */
  comparisons: number;
}

/**
 * Compares every target's live schema with the entities its track maps (read-only). Tenant
 * schemas are fingerprinted in one catalog query per database and grouped: the full comparison
 * runs once per distinct shape, and tenants that differ from the majority are reported with the
 * difference, even where the entities do not cover it (a hand-made hotfix in one tenant).
 */
export function drift(options: CommonOptions): Promise<DriftReport> {
  return withRuntime(options, { createDatabases: false }, async (runtime) => {
    const report: DriftReport = { command: 'drift', app: runtime.config.app, ok: true, targets: [], shapes: [], comparisons: 0 };
    for (const t of runtime.globalTargets()) report.targets.push(await baseDrift(runtime, t, report));
    const tenants = await runtime.tenantTargets();
    for (const d of runtime.databases) {
      const members = tenants.targets.filter((t) => t.info.database === d.db.key);
      // A loop, not push(...all): a spread of 100,000+ arguments overflows the call stack.
      if (members.length) for (const t of await tenantDrift(runtime, d, members, report)) report.targets.push(t);
    }
    report.ok = report.targets.every((t) => t.state === 'clean' || t.state === 'unchecked');
    return report;
  });
}

function entry(t: Target, partial: Partial<TargetDrift>): TargetDrift {
  return { target: t.id, database: t.info.database, schema: t.info.schema, tenant: t.info.tenant, state: 'clean', changes: [], shape: null, error: null, ...partial };
}

async function baseDrift(runtime: FleetRuntime, t: Target, report: DriftReport): Promise<TargetDrift> {
  const d = runtime.databases.find((x) => x.db.key === t.info.database)!;
  if (!d.db.dataSource) return entry(t, { state: 'unchecked' });
  if (runtime.missingDatabases.has(t.connection.database))
    return entry(t, { state: 'error', error: { code: 'MISSING_DATABASE', message: `database ${t.connection.database} does not exist` } });
  try {
    report.comparisons++;
    const changes = await entityDrift(t.connection, t.info.schema, d.db.dataSource, runtime.settings.applicationName);
    return entry(t, { state: changes.length ? 'drift' : 'clean', changes });
  } catch (err) {
    return entry(t, { state: 'error', error: errorToJSON(err) });
  }
}

async function tenantDrift(runtime: FleetRuntime, d: ResolvedDatabase, targets: Target[], report: DriftReport): Promise<TargetDrift[]> {
  const ignore = [d.db.tenants!.versionTable];
  const out = new Map<string, TargetDrift>();
  // 1. One fingerprint statement per database (schema-per-tenant: one for all tenants).
  const shapes = new Map<string, string>();
  const byDatabase = new Map<string, Target[]>();
  for (const t of targets) append(byDatabase, databaseKey(t.connection), t);
  for (const group of byDatabase.values()) {
    try {
      const pool = await runtime.connections.pool(group[0].connection);
      const prints = await pool.withSession((s) =>
        fingerprintSchemas(
          s,
          group.map((t) => t.info.schema),
          ignore,
        ),
      );
      for (const t of group) shapes.set(t.id, prints.get(t.info.schema)!);
    } catch (err) {
      for (const t of group) out.set(t.id, entry(t, { state: 'error', error: errorToJSON(err) }));
    }
    if (d.strategy!.databasePerTenant) await runtime.connections.release(group[0].connection);
  }
  // 2. Group identical shapes; the largest group is the majority.
  const groups = new Map<string, Target[]>();
  for (const t of targets) if (shapes.has(t.id)) append(groups, shapes.get(t.id)!, t);
  const ordered = [...groups.entries()].sort((a, b) => b[1].length - a[1].length);
  const majority = ordered[0];
  for (const [shape, members] of ordered) report.shapes.push({ database: d.db.key, shape, tenants: members.length, example: members[0].id });
  // 3. Per shape: the entity comparison once, on one representative; minorities diffed against the majority.
  for (const [shape, members] of ordered) {
    const rep = members[0];
    const changes: DriftChange[] = [];
    let error: Record<string, unknown> | null = null;
    try {
      if (d.db.tenants!.dataSource) {
        report.comparisons++;
        changes.push(...(await entityDrift(rep.connection, rep.info.schema, d.db.tenants!.dataSource, runtime.settings.applicationName)));
      }
      if (majority && shape !== majority[0]) changes.push(...(await majorityDiff(runtime, majority[1][0], rep, ignore, majority[1].length)));
    } catch (err) {
      error = errorToJSON(err);
    }
    for (const t of members) {
      out.set(
        t.id,
        entry(t, { shape, changes, error, state: error ? 'error' : changes.length ? 'drift' : d.db.tenants!.dataSource || shape !== majority?.[0] ? 'clean' : 'unchecked' }),
      );
    }
  }
  return targets.map((t) => out.get(t.id)!);
}

/** Adds to a map of lists in place (a copy of the list per target made drift quadratic). */
function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

async function majorityDiff(runtime: FleetRuntime, reference: Target, actual: Target, ignore: string[], majoritySize: number): Promise<DriftChange[]> {
  const read = async (t: Target) => (await runtime.connections.pool(t.connection)).withSession(async (s) => (await schemaFacts(s, [t.info.schema], ignore)).get(t.info.schema)!);
  const [ref, act] = [await read(reference), await read(actual)];
  return diffFacts(ref, act).map((d) => ({
    kind: 'differs-from-majority' as const,
    object: d.fact.split(' ')[1] ?? '',
    message: `${d.kind} ${d.fact} (compared with the ${majoritySize} tenant(s) shaped like ${reference.info.tenant})`,
  }));
}
