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
