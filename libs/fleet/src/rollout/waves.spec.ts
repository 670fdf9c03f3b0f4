import { validateConfig } from '../config/load-config';
import { assignWaves, rolloutProblems, Wave, waveVerdict } from './waves';

const tenants = (n: number, plan = 'free') => Array.from({ length: n }, (_, i) => ({ id: `${plan[0]}${String(i + 1).padStart(3, '0')}`, attributes: { plan } }));

describe('rollout waves', () => {
  const waves: Wave[] = [
    { name: 'internal', match: { plan: ['internal', 'staff'] } },
    { name: 'canary', percent: 10 },
    { name: 'rest', rest: true },
  ];

  it('takes matching tenants first, then a stable percentage of the rest, then the rest', () => {
    const members = [...tenants(3, 'internal'), ...tenants(40)];
    const a = assignWaves(members, waves);
    expect(a.waves.map((w) => [w.wave.name, w.members.length])).toEqual([
      ['internal', 3],
      ['canary', 4],
      ['rest', 36],
    ]);
    expect(a.unassigned).toEqual([]);
    // The same tenants on every run, whatever their order; a new tenant does not reshuffle the canary much.
    const again = assignWaves([...members].reverse(), waves);
    expect(again.waves[1].members.map((m) => m.id).sort()).toEqual(a.waves[1].members.map((m) => m.id).sort());
    const grown = assignWaves([...members, ...tenants(1, 'zzz')], waves).waves[1].members.map((m) => m.id);
    expect(grown.filter((id) => a.waves[1].members.some((m) => m.id === id)).length).toBeGreaterThanOrEqual(3);
  });

  it('leaves tenants no wave takes unassigned, and always takes at least one for a non-zero percentage', () => {
    const a = assignWaves(tenants(5), [{ name: 'canary', percent: 1 }]);
    expect(a.waves[0].members).toHaveLength(1);
    expect(a.unassigned).toHaveLength(4);
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
