import { describe, expect, it } from 'vitest';
import { DeviceNode, IpNode } from '../../../src/core/graph/identity-graph.ts';

// An IP is itself its relation to the first device, and makes relation objects (in a Map) only
// from the second: it must still behave as one map of devices in first-seen order.
describe('IpNode devices', () => {
  const ip = new IpNode('10.0.0.1', 0, false, 0);
  const device = (key: string, i: number) => new DeviceNode(key, 0, false, i);

  it('has none until the first is attached', () => {
    expect(ip.deviceCount).toBe(0);
    expect(ip.relationTo('dev_a')).toBeUndefined();
    expect(ip.devices()).toEqual([]);
  });

  it('is its own relation to the first device, with that relation’s figures', () => {
    const a = device('dev_a', 0);
    const rel = ip.attach(a, 40);
    expect(rel).toBe(ip);
    expect(rel.device).toBe(a);
    expect(rel.ip).toBe(ip);
    expect(rel.figures).toBe(40);
    expect(ip.deviceCount).toBe(1);
    expect(ip.relationTo('dev_a')).toBe(ip);
    expect(ip.relationTo('dev_b')).toBeUndefined();
  });

  it('finds each later device by key and lists them all in the order first seen', () => {
    const b = ip.attach(device('dev_b', 1), 44);
    const c = ip.attach(device('dev_c', 2), 48);
    expect(b).not.toBe(ip);
    expect(b.ip).toBe(ip);
    expect([b.figures, c.figures]).toEqual([44, 48]);
    // The first relation's figures are not touched by later ones.
    expect(ip.figures).toBe(40);
    expect(ip.deviceCount).toBe(3);
    expect(ip.relationTo('dev_a')).toBe(ip);
    expect(ip.relationTo('dev_c')).toBe(c);
    expect(ip.devices().map((r) => r.device.key)).toEqual(['dev_a', 'dev_b', 'dev_c']);
  });
});
