import { Admin } from '@platformatic/kafka';

/**
 * Commits the current end offsets of `topics` for a (new, empty) group, so a processor or
 * watcher in that group starts exactly at "now", whatever earlier runs left on shared topics.
 */
export async function pinGroupToEnd(
  brokers: readonly string[],
  groupId: string,
  topics: string[],
): Promise<void> {
  const admin = new Admin({ clientId: 'fraud-offsets', bootstrapBrokers: [...brokers] });
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
