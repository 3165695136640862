import { murmur2 as clientMurmur2, compatibilityPartitioner } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import {
  keyHash,
  keyPartition,
  murmur2,
  stringKeyPartition,
} from '../../../src/core/contracts/partitioning.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

describe("Kafka's key partitioning", () => {
  it("hashes as Kafka's Utils.murmur2 does (the vectors of Kafka's own UtilsTest)", () => {
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of vectors) expect(murmur2(bytes(key)), key).toBe(hash);
  });

  it("agrees with the Kafka client's murmur2 and its Java-compatible partitioner on every key length", () => {
    let seed = 7;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    for (let n = 0; n < 2_000; n++) {
      const key = Buffer.from(Array.from({ length: n % 40 }, () => rnd() & 0xff));
      expect(murmur2(key)).toBe(clientMurmur2(key));
      expect(keyHash(key)).toBe(compatibilityPartitioner(undefined as never, key));
    }
  });

  it('hashes a slice of a larger buffer as the slice alone', () => {
    const whole = bytes('xxcard_000123yy');
    expect(murmur2(whole, 2, 13)).toBe(murmur2(bytes('card_000123')));
  });

  it('gives a string key the partition of its UTF-8 bytes, for ASCII and non-ASCII keys', () => {
    for (const key of ['card_000123', 'cartão-ç-日本-🃏', '', 'x'.repeat(1_000)]) {
      for (const partitions of [1, 6, 12, 7]) {
        const p = stringKeyPartition(key, partitions);
        expect(p).toBe(keyPartition(bytes(key), partitions));
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(partitions);
      }
    }
  });

  it('takes the partition from the hash with its sign bit cleared, as Java does (not as unsigned)', () => {
    // 'foobar' hashes negative: unsigned and sign-cleared differ modulo 6.
    const h = murmur2(bytes('foobar'));
    expect(h).toBeLessThan(0);
    expect(keyPartition(bytes('foobar'), 6)).toBe((h & 0x7fffffff) % 6);
    expect((h & 0x7fffffff) % 6).not.toBe((h >>> 0) % 6);
  });
});
