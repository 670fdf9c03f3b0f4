import type { DiscoveryContext, TenantDiscovery, TenantRecord } from '../config/fleet-config';
import { ConfigError, errorMessage } from '../errors';
import { NO_ATTRIBUTES } from '../targets/target';
import { assertTenantId } from './tenant-id';

export interface DiscoveredTenant {
  id: string;
  attributes: Record<string, unknown>;
}

export interface Discovery {
  tenants: DiscoveredTenant[];
  /** Ids that are not safe identifiers: reported, never turned into SQL. */
  invalid: Array<{ id: string; reason: string }>;
}

/** Finds the tenants of a database (see TenantDiscovery), validates and de-duplicates their ids. */
export async function discoverTenants(discovery: TenantDiscovery, context: DiscoveryContext): Promise<Discovery> {
  let raw: Array<string | TenantRecord>;
  if (typeof discovery === 'function') {
    raw = await discovery(context);
    if (!Array.isArray(raw)) throw new ConfigError(`The tenant discovery function of ${context.app}/${context.database} must return an array of ids or { id } records.`);
  } else if ('list' in discovery) {
    raw = discovery.list;
  } else {
    let rows: Array<Record<string, unknown>>;
    try {
      rows = await context.query(discovery.sql);
    } catch (err) {
      throw new ConfigError(`The tenant discovery query of ${context.app}/${context.database} failed: ${errorMessage(err)}`, { sql: discovery.sql }, { cause: err });
    }
    if (rows.length > 0 && !('id' in rows[0])) {
      throw new ConfigError(`The tenant discovery query of ${context.app}/${context.database} must return an "id" column (got: ${Object.keys(rows[0]).join(', ')}).`);
    }
    // A NULL id stays null (and is reported invalid), never the string "null".
    raw = rows.map(({ id, ...attributes }) => ({ id: (id === null || id === undefined ? id : String(id)) as string, attributes }));
  }
  const seen = new Set<string>();
  const result: Discovery = { tenants: [], invalid: [] };
  for (const entry of raw) {
    const record: TenantRecord = typeof entry === 'string' ? { id: entry } : entry;
    try {
      const id = assertTenantId(record.id);
      if (seen.has(id)) continue;
      seen.add(id);
      // A tenant without attributes shares one frozen empty object (one object fewer per tenant).
      const attributes = record.attributes && Object.keys(record.attributes).length ? { ...record.attributes } : NO_ATTRIBUTES;
      result.tenants.push({ id, attributes });
    } catch (err) {
      result.invalid.push({ id: String(record?.id), reason: errorMessage(err) });
    }
  }
  result.tenants.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return result;
}

/** Conditional migrations: `appliesTo = whenTenant({ plan: ['pro', 'enterprise'] })`. */
export function whenTenant(match: Record<string, unknown | unknown[]>): (target: { tenant: string | null; attributes: Readonly<Record<string, unknown>> }) => true | string {
  return (target) => {
    for (const [key, expected] of Object.entries(match)) {
      const allowed = Array.isArray(expected) ? expected : [expected];
      const actual = target.attributes[key];
      if (!allowed.includes(actual)) return `${key} is ${JSON.stringify(actual ?? null)}, applies only to ${allowed.map((a) => JSON.stringify(a)).join(' or ')}`;
    }
    return true;
  };
}
