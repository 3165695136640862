import { describe, expect, it } from 'vitest';
import { DeviceNode, IpNode, type SeenFromRel } from '../../../src/core/graph/identity-graph.ts';

// An IP keeps its first device in a field and a Map only from the second: it must still behave
// as one map of devices in first-seen order.
describe('IpNode devices', () => {
  const ip = new IpNode('10.0.0.1', 0, false, 0);
  const rel = (key: string, i: number): SeenFromRel => ({
    figures: i,
    device: new DeviceNode(key, 0, false, i),
    ip,
  });

  it('has none until the first is added', () => {
    expect(ip.deviceCount).toBe(0);
    expect(ip.device('dev_a')).toBeUndefined();
    expect([...ip.devices()]).toEqual([]);
  });

  it('finds each device by key and lists them in the order first seen', () => {
    const a = rel('dev_a', 0);
    ip.addDevice(a);
    expect(ip.deviceCount).toBe(1);
    expect(ip.device('dev_a')).toBe(a);
    expect(ip.device('dev_b')).toBeUndefined();
    const [b, c] = [rel('dev_b', 1), rel('dev_c', 2)];
    ip.addDevice(b);
    ip.addDevice(c);
    expect(ip.deviceCount).toBe(3);
    expect(ip.device('dev_a')).toBe(a);
    expect(ip.device('dev_c')).toBe(c);
    expect([...ip.devices()].map((r) => r.device.key)).toEqual(['dev_a', 'dev_b', 'dev_c']);
  });
});
