import { randomBytes } from 'node:crypto';
import { parse } from 'libpg-query';
import { DataSource, QueryRunner } from 'typeorm';
import type { ConnectionSpec } from '../db/connection-spec';
import { withDatabase } from '../db/connection-spec';
import { ClientSettings, withClient } from '../db/server';
import { schemaBuilderSql } from '../drift/entity-diff';
import { MigrationFailedError } from '../errors';
import { quoteIdent } from '../identifiers';
import type { MigrationDefinition } from '../migration/migration';

export interface TrackInspection {
  /** Tables each migration changes (DDL or DML targets), from the SQL it issued. */
  touched: Map<string, string[]>;
  /** SQL that would bring the track from head to its entities (empty: in sync). */
  pending: string[];
}

/**
 * Runs a track's migrations on a scratch database, recording the SQL each one issues, then
 * compares the result with the track's entities. The scratch database is always dropped.
 */
export async function inspectTrack(args: {
  server: ConnectionSpec;
  maintenanceDatabase: string;
  settings: ClientSettings;
  schema: string;
  migrations: MigrationDefinition[];
  dataSource: string | null;
}): Promise<TrackInspection> {
  const scratch = withDatabase(args.server, `fleet_scratch_${randomBytes(6).toString('hex')}`);
  const admin = withDatabase(args.server, args.maintenanceDatabase);
  await withClient(admin, args.settings, (c) => c.query(`CREATE DATABASE ${quoteIdent(scratch.database)}`));
  try {
    const ds = new DataSource({
      type: 'postgres',
      host: scratch.host,
      port: scratch.port,
      username: scratch.user,
      password: scratch.password,
      database: scratch.database,
      installExtensions: false,
      poolSize: 1,
      extra: { max: 1, options: `-c search_path=${quoteIdent(args.schema)}` },
    });
    await ds.initialize();
    const touched = new Map<string, string[]>();
    try {
      const qr = ds.createQueryRunner();
      await qr.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(args.schema)}`);
      for (const m of args.migrations) {
        const issued: string[] = [];
        const recording = recordingRunner(qr, issued);
        try {
          if (m.transactional) await qr.startTransaction();
          await m.instance.up(recording);
          if (m.transactional) await qr.commitTransaction();
        } catch (err) {
          if (qr.isTransactionActive) await qr.rollbackTransaction();
          throw new MigrationFailedError(`scratch database`, m.name, 'up', err);
        }
        touched.set(m.name, await tablesChangedBy(issued));
      }
      await qr.release();
    } finally {
      await ds.destroy();
    }
    const pending = args.dataSource ? (await schemaBuilderSql(scratch, args.schema, args.dataSource, args.settings.applicationName)).up : [];
    return { touched, pending };
  } finally {
    await withClient(admin, args.settings, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(scratch.database)} WITH (FORCE)`));
  }
}

/** The QueryRunner a migration gets, recording every SQL text it sends (its helpers call query too). */
function recordingRunner(qr: QueryRunner, issued: string[]): QueryRunner {
  const proxy = Object.create(qr) as QueryRunner;
  const original = qr.query;
  proxy.query = function (this: QueryRunner, sql: string, ...rest: unknown[]) {
    issued.push(sql);
    return (original as (...a: unknown[]) => Promise<unknown>).call(this, sql, ...rest);
  } as QueryRunner['query'];
  return proxy;
}

const TARGET_KEYS = ['AlterTableStmt', 'CreateStmt', 'IndexStmt', 'RenameStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'CreateTrigStmt', 'RuleStmt', 'CommentStmt'];

/**
 * Tables an SQL text changes, parsed with PostgreSQL's own parser (libpg-query): the relation of
 * each DDL/DML statement, tables named by DROP/TRUNCATE. A table only referenced (a foreign key's
 * target, a SELECT source) is not changed.
 */
export async function tablesChangedBy(sqls: string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const sql of sqls) {
    const tree = (await parse(sql)) as { stmts?: Array<{ stmt: Record<string, Record<string, unknown>> }> };
    for (const { stmt } of tree.stmts ?? []) {
      const [kind, body] = Object.entries(stmt)[0] ?? [];
      if (!kind || !body) continue;
      if (TARGET_KEYS.includes(kind)) {
        const rel = body.relation as { relname?: string } | undefined;
        if (rel?.relname) out.add(rel.relname);
      } else if (kind === 'DropStmt' && (body.removeType === 'OBJECT_TABLE' || body.removeType === 'OBJECT_INDEX' || body.removeType === 'OBJECT_VIEW')) {
        if (body.removeType !== 'OBJECT_TABLE') continue;
        for (const obj of (body.objects as Array<{ List?: { items: Array<{ String: { sval: string } }> } }>) ?? []) {
          const items = obj.List?.items ?? [];
          if (items.length) out.add(items[items.length - 1].String.sval);
        }
      } else if (kind === 'TruncateStmt') {
        for (const r of (body.relations as Array<{ RangeVar: { relname: string } }>) ?? []) out.add(r.RangeVar.relname);
      }
    }
  }
  return [...out].sort();
}
