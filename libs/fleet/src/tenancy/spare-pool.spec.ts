/** Spare names can never be a tenant's: no template and no valid tenant id gives one. */
import { validateConfig } from '../config/load-config';
import { assertTenantId, tenantObjectName } from '../tenants/tenant-id';
import { idForName, templateProblem } from './reserved-names';
import { isSpareName, newSpareName, SPARE_PREFIX } from './spare-pool';

describe('spare names', () => {
  const spares = Array.from({ length: 50 }, () => newSpareName());

  it('are fresh, recognisable, and contain "$", which no tenant schema or id can', () => {
    expect(new Set(spares).size).toBe(50);
    for (const name of spares) {
      expect(name).toMatch(/^fleet_spare\$[0-9a-f]{12}$/);
      expect(isSpareName(name)).toBe(true);
      expect(() => assertTenantId(name)).toThrow();
    }
    expect(isSpareName('fleet_spare_0123456789ab')).toBe(false);
    expect(isSpareName(`${SPARE_PREFIX}x; DROP SCHEMA public`)).toBe(false);
  });

  it.each(['tenant_{id}', 'acme_{id}_t', '_{id}', 'fleet_{id}', 'fleet_spare{id}', 't{id}x'])('no tenant id makes the template %s give a spare name', (template) => {
    expect(templateProblem(template, 'schema', ['public'])).toBeNull();
    for (const name of spares) expect(idForName(template, name)).toBeNull();
    // The closest ids a user could try give names without "$".
    for (const id of ['fleet_spare', 'spare', 'fleet_spare_0123456789ab']) expect(tenantObjectName('tenant schema', template, id)).not.toContain('$');
  });

  it('tenants.pool is validated: a whole number; with the database strategy only where Fleet creates databases', () => {
    const base = (tenants: Record<string, unknown>) => ({
      app: 'a',
      databases: { main: { migrations: './m', tenants: { strategy: 'schema', migrations: './t', discover: { list: [] }, ...tenants } } },
    });
    expect(validateConfig(base({ pool: { size: 5 } }), '/w/fleet.config.ts', '/w').databases[0].tenants?.pool).toEqual({ size: 5, refill: 'app' });
    expect(validateConfig(base({}), '/w/fleet.config.ts', '/w').databases[0].tenants?.pool).toEqual({ size: 0, refill: 'app' });
    expect(() => validateConfig(base({ pool: { size: 2.5 } }), '/w/fleet.config.ts', '/w')).toThrow(/tenants\.pool\.size: must be a whole number from 0 to 1000/);
    expect(() => validateConfig(base({ pool: { size: 2, extra: 1 } }), '/w/fleet.config.ts', '/w')).toThrow(/extra/);
    expect(() => validateConfig(base({ strategy: 'database', pool: { size: 2 } }), '/w/fleet.config.ts', '/w')).toThrow(
      /tenants\.pool: needs Fleet to create databases with the database strategy .*set tenants\.createDatabase: true/,
    );
    expect(validateConfig(base({ strategy: 'database', createDatabase: true, pool: { size: 2 } }), '/w/fleet.config.ts', '/w').databases[0].tenants?.pool).toEqual({
      size: 2,
      refill: 'app',
    });
  });
});
