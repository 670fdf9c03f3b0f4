/**
 * TypeORM's own history table kept true after adoption. A database TypeORM's CLI migrated has
 * its `migrations` table (id, timestamp, name); Fleet adopts it on the first run and from then on
 * writes every change of its own history there too, on the same session and so in the same
 * transaction: a migration Fleet applies (or skips, or stamps) gets TypeORM's row, one it
 * reverts (or unrecords) loses it. `typeorm migration:run` and a DataSource with
 * `migrationsRun: true` then find nothing to run, instead of running everything again.
 * `adoptTypeormTable: false` in the config turns both the adoption and this off.
 */
import type { SqlSession } from '../db/session';
import { qualify } from '../identifiers';
import type { AppliedRecord } from '../planner/planner';
import type { RecordInput, VersionStore } from './version-store';

export class TypeormMirroredStore implements VersionStore {
  private readonly table: string;

  constructor(
    private readonly inner: VersionStore,
    private readonly session: SqlSession,
    schema: string,
    typeormTable: string,
  ) {
    this.table = qualify(schema, typeormTable);
  }

  ensure(): Promise<void> {
    return this.inner.ensure();
  }

  readApplied(): Promise<AppliedRecord[] | null> {
    return this.inner.readApplied();
  }

  /** Applied and skipped migrations are done as far as TypeORM is concerned; `started` ones are not (yet). */
  async record(...inputs: RecordInput[]): Promise<void> {
    await this.inner.record(...inputs);
    const done = inputs.filter((r) => r.status === 'applied' || r.status === 'skipped');
    if (done.length === 0) return;
    await this.session.query(
      `INSERT INTO ${this.table} ("timestamp", name)
       SELECT x.ts, x.name FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS x(ts, name, n)
        WHERE NOT EXISTS (SELECT 1 FROM ${this.table} t WHERE t.name = x.name)
        ORDER BY x.n`,
      [done.map((r) => String(r.timestamp)), done.map((r) => r.name)],
    );
  }

  async unrecord(name: string): Promise<void> {
    await this.inner.unrecord(name);
    await this.session.query(`DELETE FROM ${this.table} WHERE name = $1`, [name]);
  }
}
