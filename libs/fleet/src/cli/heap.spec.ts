import { DEFAULT_HEAP_GROWING_PERCENT, heapGrowingPercent } from './heap';

describe('heap growth of a fleet process', () => {
  it('defaults to Fleet’s percent, yields to Node’s own flag and to FLEET_HEAP_GROWING_PERCENT', () => {
    expect(heapGrowingPercent({}, [])).toBe(DEFAULT_HEAP_GROWING_PERCENT);
    expect(heapGrowingPercent({ FLEET_HEAP_GROWING_PERCENT: ' ' }, [])).toBe(DEFAULT_HEAP_GROWING_PERCENT);
    expect(heapGrowingPercent({ FLEET_HEAP_GROWING_PERCENT: '50' }, [])).toBe(50);
    expect(heapGrowingPercent({ FLEET_HEAP_GROWING_PERCENT: '0' }, [])).toBeNull();
    expect(heapGrowingPercent({}, ['--heap-growing-percent=80'])).toBeNull();
    expect(heapGrowingPercent({ NODE_OPTIONS: '--max-old-space-size=512 --heap_growing_percent=5' }, [])).toBeNull();
    expect(() => heapGrowingPercent({ FLEET_HEAP_GROWING_PERCENT: '20%' }, [])).toThrow(/whole number of percent from 0 .* not "20%"/);
  });
});
