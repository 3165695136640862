import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { KafkaBus } from '../../../src/adapters/bus-kafka/index.ts';
import { MemoryBus } from '../../../src/adapters/bus-memory/index.ts';
import type { EventBus } from '../../../src/ports/event-bus.ts';
import { freshTopic, requireKafka } from '../../support/kafka.ts';

const brokers = requireKafka();
const PARTITIONS = 6;
const keys = [
  ...Array.from({ length: 60 }, (_, i) => `card_${String(i * 7919).padStart(6, '0')}`),
  'cartão-ç-日本',
  'x'.repeat(300),
];

/** Reads `count` records of `topic` from the start: key -> partition. */
async function partitionsByKey(bus: EventBus, topic: string, count: number): Promise<Map<string, number>> {
  const sub = await bus.subscribe({ groupId: `read-${topic}`, topics: [topic], from: 'earliest' });
  const seen = new Map<string, number>();
  let read = 0;
  const deadline = Date.now() + 20_000;
  try {
    while (read < count && Date.now() < deadline) {
      for (const r of (await sub.next(500)) ?? []) {
        read++;
        seen.set(r.key!, r.partition);
      }
    }
  } finally {
    await sub.close();
  }
  expect(read).toBe(count);
  return seen;
}

describe('Key partitioning on real Kafka', () => {
  it("puts each card on the partition a Java-compatible producer does (kcat's murmur2_random), and the in-process bus agrees", async () => {
    const byKcat = await freshTopic(brokers, 'partition-kcat', PARTITIONS);
    const byBus = await freshTopic(brokers, 'partition-bus', PARTITIONS);
    // librdkafka's murmur2_random is its Java-producer-compatible partitioner.
    execFileSync(
      'kcat',
      ['-P', '-b', brokers.join(','), '-t', byKcat, '-K', '\t', '-X', 'topic.partitioner=murmur2_random'],
      { input: `${keys.map((k) => `${k}\t{"k":1}`).join('\n')}\n` },
    );
    const kafka = new KafkaBus({ brokers, clientId: 'partitioning' });
    const memory = new MemoryBus({ partitions: PARTITIONS });
    try {
      const messages = keys.map((key) => ({ key, value: '{"k":1}' }));
      await kafka.publish(byBus, messages);
      await memory.publish('cards', messages);
      const expected = await partitionsByKey(kafka, byKcat, keys.length);
      expect(new Set(expected.values()).size).toBeGreaterThan(3);
      expect(await partitionsByKey(kafka, byBus, keys.length)).toEqual(expected);
      expect(await partitionsByKey(memory, 'cards', keys.length)).toEqual(expected);
    } finally {
      await kafka.close();
      await memory.close();
    }
  });
});
