/**
 * The risky-SQL checks of one parsed statement (a libpg-query parse tree node), pure. The state
 * they read and update is the track's: tables created by the current migration (where nothing is
 * risky: nobody uses them yet), CHECK (col IS NOT NULL) constraints and whether they were validated
 * (SET NOT NULL is cheap after one), and whether the migration set a lock timeout.
 */
import { names, walk, type Node } from './parse-tree';

export interface TrackState {
  /** Tables created by the migration being checked (reset for each migration). */
  created: Set<string>;
  /** Indexes created by the migration being checked. */
  createdIndexes: Set<string>;
  /** Per table: CHECK (col IS NOT NULL) constraints seen in the track, by name. */
  notNullChecks: Map<string, Map<string, { column: string; validated: boolean }>>;
  /** The migration set a non-zero lock_timeout before this statement. */
  lockTimeoutSet: boolean;
  /** A FLEET111 finding was already raised for the migration (one per migration is enough). */
  lockTimeoutReported: boolean;
}

export interface CheckContext {
  transactional: boolean;
  /** Fleet's lock timeout for the database; 0 = the user turned it off. */
  lockTimeoutMs: number;
}

/** A rule a statement breaks, with the specific reason. */
export interface Hit {
  code: string;
  detail: string;
}

/** Functions whose value differs per row: as a column default, ADD COLUMN rewrites the table. */
const VOLATILE = new Set([
  'random',
  'clock_timestamp',
  'timeofday',
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'uuidv4',
  'uuidv7',
  'nextval',
  'setseed',
  'random_normal',
]);
const SERIAL_TYPES = new Set(['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial']);

export function newTrackState(): TrackState {
  return { created: new Set(), createdIndexes: new Set(), notNullChecks: new Map(), lockTimeoutSet: false, lockTimeoutReported: false };
}

/** Starts a new migration: what it creates is new to it only; a lock timeout lasts one migration. */
export function startMigration(state: TrackState): void {
  state.created.clear();
  state.createdIndexes.clear();
  state.lockTimeoutSet = false;
  state.lockTimeoutReported = false;
}

export function checkStatement(stmt: Node, state: TrackState, ctx: CheckContext): Hit[] {
  const [kind, body] = Object.entries(stmt)[0] as [string, Node];
  const hits: Hit[] = [];
  const existing = (rel: unknown) => !!rel && !state.created.has(relName(rel));
  let locksExisting = false;

  switch (kind) {
    case 'CreateStmt':
      state.created.add(relName(body.relation));
      locksExisting = referencesExisting(body, state);
      break;
    case 'CreateTableAsStmt':
      state.created.add(relName((body.into as Node)?.rel));
      break;
    case 'IndexStmt': {
      if (body.idxname) state.createdIndexes.add(String(body.idxname));
      const onExisting = existing(body.relation);
      if (body.concurrent && ctx.transactional) hits.push({ code: 'FLEET110', detail: `CREATE INDEX CONCURRENTLY on ${relName(body.relation)} in a transactional migration` });
      else if (!body.concurrent && onExisting) hits.push({ code: 'FLEET101', detail: `CREATE INDEX on ${relName(body.relation)}, a table this migration did not create` });
      locksExisting = onExisting;
      break;
    }
    case 'ReindexStmt': {
      const concurrent = ((body.params as Node[] | undefined) ?? []).some((p) => (p.DefElem as Node)?.defname === 'concurrently');
      if (concurrent && ctx.transactional) hits.push({ code: 'FLEET110', detail: 'REINDEX CONCURRENTLY in a transactional migration' });
      else if (!concurrent) hits.push({ code: 'FLEET101', detail: `REINDEX of ${relName(body.relation) || String(body.name ?? '')} without CONCURRENTLY` });
      locksExisting = true;
      break;
    }
    case 'DropStmt':
      locksExisting = checkDrop(body, state, ctx, hits);
      break;
    case 'RenameStmt': {
      const type = String(body.renameType);
      if (type === 'OBJECT_SCHEMA') hits.push({ code: 'FLEET107', detail: `renames schema ${String(body.subname)} to ${String(body.newname)}` });
      else if ((type === 'OBJECT_COLUMN' || type === 'OBJECT_TABLE') && existing(body.relation)) {
        const what = type === 'OBJECT_COLUMN' ? `column ${relName(body.relation)}.${String(body.subname)}` : `table ${relName(body.relation)}`;
        hits.push({ code: 'FLEET107', detail: `renames ${what} to ${String(body.newname)}` });
      }
      locksExisting = existing(body.relation);
      break;
    }
    case 'AlterTableStmt':
      if (body.objtype === 'OBJECT_TABLE') checkAlterTable(body, state, hits);
      locksExisting = existing(body.relation);
      break;
    case 'VariableSetStmt':
      if (String(body.name).toLowerCase() === 'lock_timeout') state.lockTimeoutSet = nonZeroSetting(body);
      break;
    case 'SelectStmt':
      walk(body, (key, value) => {
        if (key !== 'FuncCall') return;
        const fn = names((value as Node).funcname);
        const [setting, to] = ((value as Node).args as Node[] | undefined) ?? [];
        if (fn[fn.length - 1] === 'set_config' && setting && constText(setting)?.toLowerCase() === 'lock_timeout') state.lockTimeoutSet = !isZero(to ? constText(to) : null);
      });
      break;
    case 'TruncateStmt':
    case 'LockStmt':
    case 'ClusterStmt':
    case 'RefreshMatViewStmt':
    case 'CreateTrigStmt':
    case 'AlterObjectSchemaStmt':
      locksExisting = true;
      break;
  }
  if (locksExisting && ctx.lockTimeoutMs === 0 && !state.lockTimeoutSet && !state.lockTimeoutReported) {
    state.lockTimeoutReported = true;
    hits.push({ code: 'FLEET111', detail: `${describeKind(kind)} waits for its lock with no time limit` });
  }
  return hits;
}

function checkDrop(body: Node, state: TrackState, ctx: CheckContext, hits: Hit[]): boolean {
  const type = String(body.removeType);
  const objects = ((body.objects as Node[] | undefined) ?? []).map((o) => names((o.List as Node | undefined)?.items ?? o));
  const last = (parts: string[]) => parts[parts.length - 1] ?? '';
  if (type === 'OBJECT_TABLE') {
    const dropped = objects.map(last).filter((t) => !state.created.has(t));
    if (dropped.length) hits.push({ code: 'FLEET109', detail: `drops table ${dropped.join(', ')}` });
    return dropped.length > 0;
  }
  if (type === 'OBJECT_INDEX') {
    const old = objects.map(last).filter((i) => !state.createdIndexes.has(i));
    if (body.concurrent && ctx.transactional) hits.push({ code: 'FLEET110', detail: 'DROP INDEX CONCURRENTLY in a transactional migration' });
    else if (!body.concurrent && old.length) hits.push({ code: 'FLEET113', detail: `drops index ${old.join(', ')} without CONCURRENTLY` });
    return old.length > 0;
  }
  return ['OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_TRIGGER', 'OBJECT_TYPE', 'OBJECT_SEQUENCE'].includes(type);
}

function checkAlterTable(body: Node, state: TrackState, hits: Hit[]): void {
  const table = relName(body.relation);
  const isNew = state.created.has(table);
  for (const c of (body.cmds as Node[] | undefined) ?? []) {
    const cmd = c.AlterTableCmd as Node | undefined;
    if (!cmd) continue;
    const subtype = String(cmd.subtype);
    const def = (cmd.def ?? {}) as Node;
    if (subtype === 'AT_AddConstraint' && def.Constraint) {
      const con = def.Constraint as Node;
      const column = notNullColumn(con);
      if (column && con.conname) {
        const checks = state.notNullChecks.get(table) ?? new Map();
        checks.set(String(con.conname), { column, validated: isNew || !con.skip_validation });
        state.notNullChecks.set(table, checks);
      }
      if (isNew) continue;
      if ((con.contype === 'CONSTR_FOREIGN' || con.contype === 'CONSTR_CHECK') && !con.skip_validation)
        hits.push({
          code: 'FLEET106',
          detail: `adds ${con.contype === 'CONSTR_FOREIGN' ? 'FOREIGN KEY' : 'CHECK'} ${String(con.conname ?? '')} to ${table} without NOT VALID`.replace('  ', ' '),
        });
      if ((con.contype === 'CONSTR_UNIQUE' || con.contype === 'CONSTR_PRIMARY' || con.contype === 'CONSTR_EXCLUSION') && !con.indexname)
        hits.push({ code: 'FLEET112', detail: `adds ${String(con.contype).slice(7)} to ${table}, building its index under ACCESS EXCLUSIVE` });
      continue;
    }
    if (subtype === 'AT_ValidateConstraint') {
      const check = state.notNullChecks.get(table)?.get(String(cmd.name));
      if (check) check.validated = true;
      continue;
    }
    if (isNew) continue;
    if (subtype === 'AT_AddColumn' && def.ColumnDef) checkAddColumn(def.ColumnDef as Node, table, hits);
    else if (subtype === 'AT_AlterColumnType') hits.push({ code: 'FLEET104', detail: `changes the type of ${table}.${String(cmd.name)}` });
    else if (subtype === 'AT_SetNotNull') {
      const proven = [...(state.notNullChecks.get(table)?.values() ?? [])].some((k) => k.column === String(cmd.name) && k.validated);
      if (!proven) hits.push({ code: 'FLEET105', detail: `sets ${table}.${String(cmd.name)} NOT NULL with no validated CHECK (${String(cmd.name)} IS NOT NULL)` });
    } else if (subtype === 'AT_DropColumn') hits.push({ code: 'FLEET108', detail: `drops column ${table}.${String(cmd.name)}` });
  }
}

function checkAddColumn(col: Node, table: string, hits: Hit[]): void {
  const name = `${table}.${String(col.colname)}`;
  const constraints = ((col.constraints as Node[] | undefined) ?? []).map((c) => c.Constraint as Node);
  const type = names((col.typeName as Node | undefined)?.names);
  const defaultExpr = constraints.find((c) => c.contype === 'CONSTR_DEFAULT')?.raw_expr;
  const volatile = defaultExpr ? volatileCall(defaultExpr) : null;
  if (SERIAL_TYPES.has((type[type.length - 1] ?? '').toLowerCase()))
    hits.push({ code: 'FLEET103', detail: `adds ${name} as ${type[type.length - 1]} (a nextval() default for every row)` });
  else if (constraints.some((c) => c.contype === 'CONSTR_IDENTITY')) hits.push({ code: 'FLEET103', detail: `adds ${name} as an identity column (a value for every row)` });
  else if (constraints.some((c) => c.contype === 'CONSTR_GENERATED' && c.generated_kind === 's'))
    hits.push({ code: 'FLEET103', detail: `adds ${name} as a STORED generated column (computed for every row)` });
  else if (volatile) hits.push({ code: 'FLEET103', detail: `adds ${name} with DEFAULT ${volatile}(), a volatile function` });
  else if (constraints.some((c) => c.contype === 'CONSTR_NOTNULL') && !defaultExpr) hits.push({ code: 'FLEET102', detail: `adds ${name} NOT NULL without a DEFAULT` });
  if (constraints.some((c) => c.contype === 'CONSTR_FOREIGN' && !c.skip_validation))
    hits.push({ code: 'FLEET106', detail: `adds ${name} with a FOREIGN KEY that is validated at once` });
  if (constraints.some((c) => c.contype === 'CONSTR_UNIQUE' || c.contype === 'CONSTR_PRIMARY'))
    hits.push({ code: 'FLEET112', detail: `adds ${name} with a UNIQUE/PRIMARY KEY index built under ACCESS EXCLUSIVE` });
}

/** The first volatile function called in an expression, or null. */
function volatileCall(expr: unknown): string | null {
  let found: string | null = null;
  walk({ expr }, (key, value) => {
    if (found || key !== 'FuncCall') return;
    const fn = names((value as Node).funcname);
    const last = (fn[fn.length - 1] ?? '').toLowerCase();
    if (VOLATILE.has(last)) found = last;
  });
  return found;
}

/** `CHECK (col IS NOT NULL)`: the column, else null. */
function notNullColumn(con: Node): string | null {
  if (con.contype !== 'CONSTR_CHECK') return null;
  const test = (con.raw_expr as Node | undefined)?.NullTest as Node | undefined;
  if (!test || test.nulltesttype !== 'IS_NOT_NULL') return null;
  const fields = names(((test.arg as Node | undefined)?.ColumnRef as Node | undefined)?.fields);
  return fields.length === 1 ? fields[0] : null;
}

/** CREATE TABLE with a foreign key to a table that exists: SHARE ROW EXCLUSIVE on that table. */
function referencesExisting(body: Node, state: TrackState): boolean {
  let found = false;
  walk(body.tableElts, (key, value) => {
    if (key === 'pktable' && !state.created.has(relName(value))) found = true;
  });
  return found;
}

function nonZeroSetting(body: Node): boolean {
  if (body.kind !== 'VAR_SET_VALUE') return false; // SET ... TO DEFAULT / RESET: the server's (0 unless configured)
  const arg = ((body.args as Node[] | undefined) ?? [])[0];
  return !isZero(arg ? constText(arg) : null);
}

function isZero(value: string | null): boolean {
  return value === null || /^\s*0+\s*(ms|s|min|h|d)?\s*$/i.test(value);
}

function describeKind(kind: string): string {
  return kind
    .replace(/Stmt$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}

/** `schema.table` as written, lower-cased as PostgreSQL folds it (the parser already did for unquoted names). */
export function relName(rel: unknown): string {
  const r = (rel ?? {}) as Node;
  return String(r.relname ?? '');
}

/** A constant's text: 'x', 42, or the ival of an integer. */
function constText(node: Node): string | null {
  const c = node.A_Const as Node | undefined;
  if (!c) return null;
  if (c.sval) return String((c.sval as Node).sval);
  if (c.ival) return String((c.ival as Node).ival ?? 0);
  return null;
}
