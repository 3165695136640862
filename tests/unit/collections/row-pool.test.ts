import { describe, expect, it } from 'vitest';
import { RowPool } from '../../../src/core/collections/row-pool.ts';
import { mulberry32 } from '../../support/prng.ts';

describe('RowPool (fixed-width rows in typed-array chunks, by slot, off the GC heap)', () => {
  it('keeps every live row as written across chunks while slots are taken and given back at random', () => {
    const random = mulberry32(11);
    const pool = new RowPool(3);
    const live = new Map<number, [number, number, number]>();
    for (let i = 0; i < 100_000; i++) {
      if (live.size === 0 || random() < 0.6) {
        const slot = pool.take();
        expect(live.has(slot)).toBe(false);
        // Times and 53-bit hashes: exact in a Float64Array.
        const row: [number, number, number] = [1.7e12 + i, Math.floor(random() * 2 ** 53), -i];
        for (let k = 0; k < 3; k++) pool.set(slot, k, row[k]!);
        live.set(slot, row);
      } else {
        const slots = [...live.keys()];
        const slot = slots[Math.floor(random() * slots.length)]!;
        pool.give(slot);
        live.delete(slot);
      }
      expect(pool.size).toBe(live.size);
    }
    // More than one chunk (16,384 slots each) was used.
    expect(Math.max(...live.keys())).toBeGreaterThan(16_384);
    const out = [0, 0, 0];
    for (const [slot, row] of live) {
      pool.read(slot, out);
      expect(out).toEqual(row);
      expect(pool.get(slot, 1)).toBe(row[1]);
    }
  });

  it('hands a given-back slot out again before a new one', () => {
    const pool = new RowPool(2);
    const a = pool.take();
    const b = pool.take();
    pool.give(a);
    expect(pool.take()).toBe(a);
    expect(pool.take()).toBe(b + 1);
    expect(pool.size).toBe(3);
  });

  it('rejects a width that is not a positive integer', () => {
    expect(() => new RowPool(0)).toThrow(/positive integer/);
    expect(() => new RowPool(2.5)).toThrow(/positive integer/);
  });
});
