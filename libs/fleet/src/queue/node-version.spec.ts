import { assertQueueNode, nodeAtLeast } from './node-version';

describe('Node.js per feature (no database)', () => {
  it('compares versions numerically', () => {
    expect(nodeAtLeast('22.12.0', '22.12.0')).toBe(true);
    expect(nodeAtLeast('v22.12.1', '22.12.0')).toBe(true);
    expect(nodeAtLeast('24.0.0', '22.12.0')).toBe(true);
    expect(nodeAtLeast('22.11.9', '22.12.0')).toBe(false);
    expect(nodeAtLeast('20.20.2', '22.12.0')).toBe(false);
    expect(nodeAtLeast('20.9.0', '20.19.0')).toBe(false);
  });

  it('queue mode on an older Node.js fails, naming the version it needs and the way out', () => {
    expect(() => assertQueueNode('fleet worker', {}, '22.12.0')).not.toThrow();
    expect(() => assertQueueNode('fleet worker', {}, '20.20.2')).toThrow(
      /^fleet worker needs Node\.js >= 22\.12 \(queue mode runs on pg-boss 12, which requires it\); this is Node\.js 20\.20\.2\. .*without --queue \(Node\.js >= 20\.19\)/,
    );
    expect(() => assertQueueNode('fleet worker', { FLEET_QUEUE_UNSUPPORTED_NODE: '1' }, '20.20.2')).not.toThrow();
  });
});
