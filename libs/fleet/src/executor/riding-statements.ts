/**
 * Statements that ride on the ones TypeORM sends to open and to close a transaction, in the same
 * round trip (the simple query protocol, no parameters): the version table's creation with a new
 * target's START TRANSACTION, the session's clean-up with its last COMMIT (migration-runner.ts).
 * TypeORM keeps its own account of the transaction (commit, rollback, nested savepoints), so its
 * startTransaction()/commitTransaction() still do the work; the one statement they send for it is
 * answered by the batch instead of going out alone.
 */
import type { QueryRunner } from 'typeorm';
import type { BatchSession } from '../db/session';

type Send = (this: QueryRunner, sql: string, ...rest: unknown[]) => Promise<unknown>;

/**
 * Runs `action` (a TypeORM call that sends `text`) with `statements` sent after `text` in its round
 * trip; returns their rows, or undefined when the action never sent `text` (a TypeORM that opens or
 * closes transactions another way: the caller then sends them on their own, or not at all).
 */
export async function ridingOn(
  queryRunner: QueryRunner,
  batch: BatchSession,
  text: 'START TRANSACTION' | 'COMMIT',
  statements: readonly string[],
  action: () => Promise<void>,
): Promise<unknown[][] | undefined> {
  const send = queryRunner.query as Send;
  const own = Object.getOwnPropertyDescriptor(queryRunner, 'query');
  let rows: unknown[][] | undefined;
  queryRunner.query = async function (this: QueryRunner, sql: string, ...rest: unknown[]) {
    if (rows !== undefined || sql !== text) return send.call(this, sql, ...rest);
    // The target's own tables: already counted for the connection's retirement (0).
    rows = (await batch.queryBatch([sql, ...statements], 0)).slice(1);
    return undefined;
  } as QueryRunner['query'];
  try {
    await action();
  } finally {
    if (own) Object.defineProperty(queryRunner, 'query', own);
    else delete (queryRunner as { query?: unknown }).query;
  }
  return rows;
}

/** The statements on their own, one round trip each (what ridingOn's caller does when TypeORM sent something else). */
export async function sendEach(queryRunner: QueryRunner, statements: readonly string[]): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  for (const sql of statements) rows.push((await queryRunner.query(sql)) as unknown[]);
  return rows;
}
