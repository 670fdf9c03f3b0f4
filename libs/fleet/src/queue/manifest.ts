/**
 * The code a queued run was planned with: every track's migrations (name and checksum), as the
 * coordinator loaded them. The run's jobs go to a queue named after its fingerprint, so a worker
 * whose own copy of the app differs never takes one; it says why instead (see worker.ts).
 */
import { createHash } from 'node:crypto';
import type { MigrationDefinition } from '../migration/migration';

/** Track (`<database>` for its global track or shards, `<database>/tenant`) -> [name, checksum] in order. */
export type MigrationManifest = Record<string, Array<[string, string]>>;

interface ManifestSource {
  databases: ReadonlyArray<{ db: { key: string }; globalTemplate: { migrations: MigrationDefinition[] }; tenantMigrations: MigrationDefinition[] | null }>;
}

export function manifestOf(runtime: ManifestSource): MigrationManifest {
  const entries = (list: MigrationDefinition[]) => list.map((m): [string, string] => [m.name, m.checksum]);
  const manifest: MigrationManifest = {};
  for (const d of runtime.databases) {
    manifest[d.db.key] = entries(d.globalTemplate.migrations);
    if (d.tenantMigrations) manifest[`${d.db.key}/tenant`] = entries(d.tenantMigrations);
  }
  return manifest;
}

/** 16 hex digits of sha256 over the tracks in name order: the run's queue is `fleet.<app>.<fingerprint>`. */
export function fingerprintOf(manifest: MigrationManifest): string {
  const canonical = JSON.stringify(
    Object.keys(manifest)
      .sort()
      .map((track) => [track, manifest[track]]),
  );
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** Why `mine` cannot run a run planned with `run`; null when every track of the run is the same here. */
export function manifestDifference(run: MigrationManifest, mine: MigrationManifest): string | null {
  const problems: string[] = [];
  for (const [track, planned] of Object.entries(run)) {
    const here = mine[track];
    if (!here) {
      problems.push(`track ${track} is not in this worker's config`);
      continue;
    }
    const plannedBy = new Map(planned);
    const hereBy = new Map(here);
    const missing = planned.filter(([name]) => !hereBy.has(name)).map(([name]) => name);
    const extra = here.filter(([name]) => !plannedBy.has(name)).map(([name]) => name);
    const changed = planned.filter(([name, sum]) => hereBy.has(name) && hereBy.get(name) !== sum).map(([name]) => name);
    if (missing.length) problems.push(`${track}: missing here ${missing.join(', ')}`);
    if (extra.length) problems.push(`${track}: only here (not planned) ${extra.join(', ')}`);
    if (changed.length) problems.push(`${track}: checksum differs ${changed.join(', ')}`);
    if (!missing.length && !extra.length && !changed.length && planned.some(([name], i) => here[i]?.[0] !== name)) problems.push(`${track}: different order`);
  }
  return problems.length ? problems.join('; ') : null;
}
