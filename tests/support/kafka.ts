import { randomUUID } from 'node:crypto';
import { Admin } from '@platformatic/kafka';

/** Integration tests run against the real broker that `.ci/run` starts; a missing one is an error, not a skip. */
export function requireKafka(): string[] {
  const brokers = process.env['KAFKA_BROKERS'];
  if (!brokers) {
    throw new Error(
      'KAFKA_BROKERS is not set: start Kafka with `eval "$(bin/fraud infra up kafka)"` (.ci/run does)',
    );
  }
  return brokers.split(',');
}

/** Creates a fresh topic for one test, so tests never see each other's records. */
export async function freshTopic(brokers: string[], base: string, partitions = 3): Promise<string> {
  const name = `test.${base}.${randomUUID().slice(0, 8)}`;
  const admin = new Admin({ clientId: 'test-admin', bootstrapBrokers: brokers });
  try {
    await admin.createTopics({ topics: [name], partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
  return name;
}

/**
 * Commits the current end offsets of `topics` for a (new, empty) group, so a processor or
 * watcher in that group starts exactly at "now", whatever earlier runs left on shared topics.
 */
export async function pinGroupToEnd(brokers: string[], groupId: string, topics: string[]): Promise<void> {
  const admin = new Admin({ clientId: 'test-admin', bootstrapBrokers: brokers });
  try {
    const meta = await admin.metadata({ topics });
    const request = topics.map((name) => ({
      name,
      partitions: [...Array(meta.topics.get(name)!.partitionsCount).keys()].map((partitionIndex) => ({
        partitionIndex,
        timestamp: -1n,
      })),
    }));
    const ends = await admin.listOffsets({ topics: request });
    await admin.alterConsumerGroupOffsets({
      groupId,
      topics: ends.map((t) => ({
        name: t.name,
        partitionOffsets: t.partitions.map((p) => ({ partition: p.partitionIndex, offset: p.offset })),
      })),
    });
  } finally {
    await admin.close();
  }
}
