/**
 * Every error Fleet raises on purpose is a FleetError: it carries data (which target, which
 * migration) and a message that says how to fix the problem. The shells (CLI, Nx executors)
 * print `message` and, with --json, `code` and `details`.
 */
/**
 * Every code Fleet reports: on a FleetError, or in a target's result (`failed.error.code`), where
 * database errors keep their SQLSTATE.
 */
export type ErrorCode =
  // Usage and configuration (exit 2: nothing ran)
  | 'CONFIG_INVALID'
  | 'INVALID_IDENTIFIER'
  | 'MIGRATION_SOURCE_INVALID'
  // Runs and targets (exit 1)
  | 'CONNECTION_FAILED'
  | 'LOCK_TIMEOUT'
  | 'MIGRATION_FAILED'
  | 'INTERRUPTED'
  | 'EXTENSION_UNUSABLE'
  | 'TENANT_DROP_REFUSED'
  | 'TENANT_ONBOARDING_FAILED'
  | 'TENANT_MISSING'
  | 'TENANT_DROPPED'
  | 'UNKNOWN_TENANT'
  | 'MISSING_DATABASE'
  | 'QUEUE_FAILED'
  | 'RISKY_SQL'
  | 'NOT_RUN';

/** Codes that mean "bad usage or configuration: nothing ran" (exit 2). */
const USAGE_CODES: ReadonlySet<ErrorCode> = new Set(['CONFIG_INVALID', 'INVALID_IDENTIFIER', 'MIGRATION_SOURCE_INVALID']);

export class FleetError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }

  /** The shell's exit code for this error: 2 for bad usage or configuration (nothing ran), else 1. */
  get exitCode(): 1 | 2 {
    return USAGE_CODES.has(this.code) ? 2 : 1;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...this.details };
  }
}

/** The Fleet config file is missing, does not load, or declares something invalid. */
export class ConfigError extends FleetError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', message, details, options);
  }
}

/** A name that would become an SQL identifier (schema, table, tenant, database) is not safe. */
export class InvalidIdentifierError extends FleetError {
  constructor(kind: string, value: string, reason: string) {
    super(
      'INVALID_IDENTIFIER',
      `Invalid ${kind} ${JSON.stringify(value)}: ${reason}. ` +
        'Allowed: 1 to 63 bytes of lower-case letters a-z, digits 0-9 and "_", starting with a letter or "_", ' +
        'not starting with "pg_" and not a reserved name (public, information_schema).',
      { kind, value, reason },
    );
  }
}

/** The migrations on disk are unusable as a set (duplicate names, bad names, module fails to load). */
export class MigrationSourceError extends FleetError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('MIGRATION_SOURCE_INVALID', message, details, options);
  }
}

/** Could not reach or log in to a PostgreSQL server. */
export class ConnectionError extends FleetError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('CONNECTION_FAILED', message, details, options);
  }
}

/** Another runner holds the target's advisory lock for longer than the configured wait. */
export class LockTimeoutError extends FleetError {
  constructor(target: string, waitedMs: number, holder: LockHolder | undefined) {
    const who = holder
      ? `held by backend pid ${holder.pid} (application "${holder.applicationName}"` +
        `${holder.clientAddr ? `, client ${holder.clientAddr}` : ''}, since ${holder.since ?? 'unknown'})`
      : 'held by another session (holder already gone or not visible)';
    super(
      'LOCK_TIMEOUT',
      `Target ${target} is locked: ${who}; waited ${waitedMs} ms. ` +
        'Another migration is running on it. Wait for it to finish, raise --lock-wait, or ' +
        `stop the holder (SELECT pg_terminate_backend(${holder?.pid ?? '<pid>'})) if it is stuck.`,
      { target, waitedMs, holder },
    );
  }
}

export interface LockHolder {
  pid: number;
  applicationName: string;
  clientAddr: string | null;
  since: string | null;
}

/** The run was stopped by a signal (Ctrl-C, SIGTERM): the target's open transaction was rolled back. */
export class InterruptedError extends FleetError {
  constructor(reason: string) {
    super('INTERRUPTED', `Interrupted (${reason}): stopped before finishing; its open transaction was rolled back and its lock released.`, { reason });
  }
}

/** Throws InterruptedError when the run's signal fired: a cancellation point. */
export function throwIfInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new InterruptedError(String(signal.reason ?? 'aborted'));
}

/** A migration's `up`/`down` threw. Wraps the database error as `cause`. */
export class MigrationFailedError extends FleetError {
  constructor(target: string, migration: string, direction: 'up' | 'down', cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      'MIGRATION_FAILED',
      `Migration ${migration} failed (${direction}) on ${target}: ${reason}`,
      { target, migration, direction, sqlState: (cause as { code?: string })?.code },
      { cause },
    );
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/** Serialises any error for JSON output and the run journal. */
export function errorToJSON(err: unknown): Record<string, unknown> {
  if (err instanceof FleetError) return err.toJSON();
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : 'ERROR', message: err.message };
  }
  return { code: 'ERROR', message: String(err) };
}

/**
 * `migrate` would apply a migration whose SQL breaks a risky-SQL rule (lint/rules.ts) at error
 * severity: the run stops before any target. `findings` lists each (track, migration, code,
 * statement, file and line).
 */
export class RiskySqlError extends FleetError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('RISKY_SQL', message, details);
  }
}
