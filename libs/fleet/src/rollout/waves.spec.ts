import { validateConfig } from '../config/load-config';
import { assignWaves, hashPoint, rolloutProblems, Wave, waveVerdict } from './waves';

const tenants = (n: number, plan = 'free') => Array.from({ length: n }, (_, i) => ({ id: `${plan[0]}${String(i + 1).padStart(3, '0')}`, attributes: { plan } }));

describe('rollout waves', () => {
  const waves: Wave[] = [
    { name: 'internal', match: { plan: ['internal', 'staff'] } },
    { name: 'canary', percent: 10 },
    { name: 'rest', rest: true },
  ];

  it('takes matching tenants first, then the ids whose hash falls in the percent slice, then the rest', () => {
    const members = [...tenants(3, 'internal'), ...tenants(400)];
    const a = assignWaves(members, waves);
    expect(a.waves.map((w) => w.wave.name)).toEqual(['internal', 'canary', 'rest']);
    expect(a.waves[0].members).toHaveLength(3);
    expect(a.waves[1].members.length).toBeGreaterThan(20); // about 10% of 400
    expect(a.waves[1].members.length).toBeLessThan(60);
    expect(a.waves[1].members.every((m) => hashPoint(m.id) < 10)).toBe(true);
    expect(a.waves[2].members.every((m) => m.attributes.plan === 'free' && hashPoint(m.id) >= 10)).toBe(true);
    expect(a.unassigned).toEqual([]);
    // The same tenants whatever their order.
    const again = assignWaves([...members].reverse(), waves);
    expect(again.waves[1].members.map((m) => m.id).sort()).toEqual(a.waves[1].members.map((m) => m.id).sort());
  });

  it('never moves an existing tenant between waves when tenants sign up or leave', () => {
    const stacked: Wave[] = [
      { name: 'internal', match: { plan: 'internal' } },
      { name: 'canary', percent: 5 },
      { name: 'early', percent: 20 },
      { name: 'rest', rest: true },
    ];
    const waveOf = (list: ReturnType<typeof tenants>) => {
      const out = new Map<string, string>();
      for (const w of assignWaves(list, stacked).waves) for (const m of w.members) out.set(m.id, w.wave.name);
      return out;
    };
    const before = waveOf([...tenants(2, 'internal'), ...tenants(40)]);
    // 1 sign-up (the case that reshuffled waves: the count of the rest changed), then 500 more, then 10 leave.
    for (const list of [
      [...tenants(2, 'internal'), ...tenants(41)],
      [...tenants(2, 'internal'), ...tenants(540)],
      [...tenants(2, 'internal'), ...tenants(40).slice(10)],
    ]) {
      const after = waveOf(list);
      for (const [id, wave] of before) if (after.has(id)) expect(`${id}: ${after.get(id)}`).toBe(`${id}: ${wave}`);
    }
    // Stacked slices: early takes [5, 25).
    const big = assignWaves(tenants(2000), stacked);
    expect(big.waves[2].members.every((m) => hashPoint(m.id) >= 5 && hashPoint(m.id) < 25)).toBe(true);
    expect(big.waves[1].members.length + big.waves[2].members.length).toBeGreaterThan(400);
  });

  it('leaves tenants no wave takes unassigned; a small slice of a few tenants may be empty', () => {
    const a = assignWaves(tenants(5), [{ name: 'canary', percent: 1 }]);
    expect(a.waves[0].members.length + a.unassigned.length).toBe(5);
    expect(a.waves[0].members.every((m) => hashPoint(m.id) < 1)).toBe(true);
  });

  it('judges a wave by its failures, its threshold and onError', () => {
    const results = [{ outcome: 'changed' }, { outcome: 'failed' }, { outcome: 'blocked' }];
    expect(waveVerdict({ name: 'w' }, results)).toBe('wave w failed: 2 of 3 target(s) failed or blocked');
    expect(waveVerdict({ name: 'w', failureThreshold: 2 }, results)).toBeNull();
    expect(waveVerdict({ name: 'w', onError: 'continue' }, results)).toBeNull();
  });

  it('refuses a rollout that cannot mean one thing', () => {
    expect(
      rolloutProblems({
        waves: [
          { name: 'a', rest: true },
          { name: 'a', percent: 5, match: { plan: 'x' } },
        ],
      }),
    ).toEqual([
      { field: 'rollout.waves[0].rest', problem: 'only the last wave can take the rest' },
      { field: 'rollout.waves[1].name', problem: '"a" names two waves' },
      { field: 'rollout.waves[1]', problem: 'needs exactly one of match, percent, rest' },
    ]);
    expect(
      rolloutProblems({
        waves: [
          { name: 'a', percent: 60 },
          { name: 'b', percent: 50 },
        ],
      }),
    ).toEqual([{ field: 'rollout.waves[1].percent', problem: expect.stringMatching(/^the percent waves add up to 110, more than 100/) }]);
    const raw = {
      app: 'x',
      databases: { main: { migrations: './m' } },
      rollout: {
        waves: [
          { name: 'canary', percent: 0 },
          { name: 'rest', rest: true, onError: 'maybe' },
        ],
      },
    };
    expect(() => validateConfig(raw, '/w/fleet.config.ts', '/w')).toThrow(
      /rollout\.waves\[0\]\.percent: must be a percentage above 0, at most 100[\s\S]*rollout\.waves\[1\]\.onError: must be "stop" or "continue"/,
    );
  });
});
