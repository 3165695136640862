import { describe, expect, it } from 'vitest';
import { ShardedMap } from '../../../src/core/collections/sharded-map.ts';
import { mulberry32 } from '../../support/prng.ts';

describe('ShardedMap (a Map split in parts, so no single rehash moves every key)', () => {
  it('answers get, has, set, delete and size exactly as a Map over random operations', () => {
    const random = mulberry32(3);
    const sharded = new ShardedMap<number>();
    const plain = new Map<string, number>();
    for (let i = 0; i < 50_000; i++) {
      const key = `tx_${Math.floor(random() * 5_000)}`;
      const op = random();
      if (op < 0.5) {
        sharded.set(key, i);
        plain.set(key, i);
      } else if (op < 0.7) {
        expect(sharded.delete(key)).toBe(plain.delete(key));
      } else {
        expect(sharded.get(key)).toBe(plain.get(key));
        expect(sharded.has(key)).toBe(plain.has(key));
      }
      expect(sharded.size).toBe(plain.size);
    }
    expect(sharded.get('')).toBeUndefined();
    sharded.set('', 1);
    expect(sharded.get('')).toBe(1);
  });
});
