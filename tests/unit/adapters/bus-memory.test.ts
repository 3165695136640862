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
