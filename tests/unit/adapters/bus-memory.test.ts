import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../src/adapters/bus-memory/index.ts';
import { eventBusContract } from '../../support/bus-contract.ts';

eventBusContract(
  'in-process',
  async () => new MemoryBus({ partitions: 4 }),
  async (base) => `${base}-${Math.random()}`,
);

describe('MemoryBus retention', () => {
  it('keeps at most retainPerPartition records per partition, dropping the oldest', async () => {
    const bus = new MemoryBus({ partitions: 1, retainPerPartition: 10 });
    await bus.publish(
      't',
      Array.from({ length: 25 }, (_, i) => ({ key: 'k', value: String(i) })),
    );
    expect(bus.size('t')).toBe(10);
    const sub = await bus.subscribe({ groupId: 'g', topics: ['t'], from: 'earliest' });
    const batch = await sub.next();
    expect(batch!.map((r) => r.value.toString())).toEqual(
      Array.from({ length: 10 }, (_, i) => String(15 + i)),
    );
    expect(batch![0]!.offset).toBe(15n);
    await bus.close();
  });
});

describe('MemoryBus retention in steps', () => {
  it('trims in steps of an eighth, never holding more than 12.5 % over the retention', async () => {
    const bus = new MemoryBus({ partitions: 1, retainPerPartition: 800 });
    const sizes: number[] = [];
    for (let i = 0; i < 300; i++) {
      await bus.publish('t', [{ key: 'k', value: String(i) }]);
      for (let j = 0; j < 9; j++) await bus.publish('t', [{ key: 'k', value: 'x' }]);
      sizes.push(bus.size('t'));
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(900);
    expect(sizes.at(-1)!).toBeGreaterThanOrEqual(800);
    // The newest records are always kept.
    const sub = await bus.subscribe({ groupId: 'g', topics: ['t'], from: 'earliest' });
    const all: string[] = [];
    for (let b = await sub.next(10); b && b.length > 0; b = await sub.next(10))
      all.push(...b.map((r) => r.value.toString()));
    expect(all.at(-10)).toBe('299');
    await bus.close();
  });
});

describe('MemoryBus log storage', () => {
  it('returns every byte of records across chunk boundaries, larger-than-chunk records, unicode and null keys', async () => {
    const bus = new MemoryBus({ partitions: 1, retainPerPartition: 10_000 });
    // ~3 MB in records of varied sizes: several 1 MiB chunks, one record bigger than a chunk.
    const sizes = [10, 70_000, 3, 1_500_000, 999, 250_000, 1, 400_000, 123_456, 8];
    const messages = Array.from({ length: 60 }, (_, i) => {
      const n = sizes[i % sizes.length]!;
      const body = `é${i}|${'x'.repeat(n)}`;
      return i % 7 === 0
        ? { key: null, value: Buffer.from(body), headers: { 'x-n': String(i) } }
        : { key: `carté_${i}`, value: body };
    });
    await bus.publish('t', messages);
    const sub = await bus.subscribe({ groupId: 'g', topics: ['t'], from: 'earliest', maxBatchSize: 1_000 });
    const got = (await sub.next())!;
    expect(got).toHaveLength(60);
    got.forEach((r, i) => {
      const m = messages[i]!;
      expect(r.offset).toBe(BigInt(i));
      expect(r.key).toBe(m.key);
      expect(r.value.toString()).toBe(m.value.toString());
      expect(r.headers).toEqual(m.headers ?? {});
    });
    await bus.close();
  });

  it('trimming keeps offsets, bytes and headers of the retained records exact', async () => {
    const bus = new MemoryBus({ partitions: 1, retainPerPartition: 16 });
    for (let i = 0; i < 200; i++) {
      await bus.publish('t', [
        {
          key: `k${i}`,
          value: `${i}:${'y'.repeat(i * 997)}`,
          ...(i % 5 === 0 ? { headers: { i: String(i) } } : {}),
        },
      ]);
    }
    const sub = await bus.subscribe({ groupId: 'g', topics: ['t'], from: 'earliest', maxBatchSize: 100 });
    const got = (await sub.next())!;
    expect(got.length).toBeGreaterThanOrEqual(16);
    expect(got.length).toBeLessThanOrEqual(18);
    for (const r of got) {
      const i = Number(r.offset);
      expect(r.key).toBe(`k${i}`);
      expect(r.value.toString()).toBe(`${i}:${'y'.repeat(i * 997)}`);
      expect(r.headers).toEqual(i % 5 === 0 ? { i: String(i) } : {});
    }
    expect(got.at(-1)!.offset).toBe(199n);
    await bus.close();
  });
});
