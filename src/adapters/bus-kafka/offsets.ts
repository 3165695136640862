import { Admin } from '@platformatic/kafka';

/** `listOffsets` timestamps that ask for a partition's end (next offset) or its log start. */
const END = -1n;
const LOG_START = -2n;

/** A `listOffsets` request for every partition of `topics` at `timestamp`. */
async function everyPartition(admin: Admin, topics: string[], timestamp: bigint) {
  const meta = await admin.metadata({ topics });
  return topics.map((name) => ({
    name,
    partitions: [...Array(meta.topics.get(name)!.partitionsCount).keys()].map((partitionIndex) => ({
      partitionIndex,
      timestamp,
    })),
  }));
}

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
    const ends = await admin.listOffsets({ topics: await everyPartition(admin, topics, END) });
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

export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** The partition's end offset (the next offset to be written). */
  readonly end: bigint;
  /** The group's committed offset; null when the group never committed on this partition. */
  readonly committed: bigint | null;
  /** Records still to read: end − committed, or end − the log start when the group never committed here. */
  readonly lag: bigint;
}

/**
 * How far a consumer group is behind on `topics`, per partition: what an operator watches to
 * tell whether a consumer (the graph service, a processor) keeps up with its input.
 */
export async function groupLag(admin: Admin, groupId: string, topics: string[]): Promise<PartitionLag[]> {
  const request = await everyPartition(admin, topics, END);
  const earliest = request.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, timestamp: LOG_START })),
  }));
  const [ends, starts, [group]] = await Promise.all([
    admin.listOffsets({ topics: request }),
    admin.listOffsets({ topics: earliest }),
    admin.listConsumerGroupOffsets({
      groups: [
        {
          groupId,
          topics: request.map((t) => ({
            name: t.name,
            partitionIndexes: t.partitions.map((p) => p.partitionIndex),
          })),
        },
      ],
    }),
  ]);
  const committed = new Map<string, bigint>();
  for (const t of group?.topics ?? [])
    for (const p of t.partitions)
      if (p.committedOffset >= 0n) committed.set(`${t.name}:${p.partitionIndex}`, p.committedOffset);
  const start = new Map<string, bigint>();
  for (const t of starts) for (const p of t.partitions) start.set(`${t.name}:${p.partitionIndex}`, p.offset);
  const lags: PartitionLag[] = [];
  for (const t of ends)
    for (const p of t.partitions) {
      const c = committed.get(`${t.name}:${p.partitionIndex}`) ?? null;
      lags.push({
        topic: t.name,
        partition: p.partitionIndex,
        end: p.offset,
        committed: c,
        lag: p.offset - (c ?? start.get(`${t.name}:${p.partitionIndex}`) ?? 0n),
      });
    }
  return lags.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}
