import { stringKeyPartition } from '../../core/contracts/partitioning.ts';
import type {
  ConsumedRecord,
  EventBus,
  OutgoingMessage,
  SubscribeOptions,
  Subscription,
  TopicMessages,
} from '../../ports/index.ts';

/**
 * The embedded event bus. It keeps the Kafka semantics the pipeline depends on, so the same
 * processor code runs unchanged on it: keyed partitioning (per-key order), consumer groups
 * that share partitions and rebalance when members come and go, and committed offsets
 * (a member that takes over a partition resumes from the group's last commit: at-least-once).
 *
 * Memory is bounded like a Kafka topic with retention: each partition keeps about
 * `retainPerPartition` records (at most 12.5 % more), dropping the oldest.
 */
export interface MemoryBusOptions {
  /** Partitions for topics created implicitly on first use. Default 6. */
  readonly partitions?: number;
  /**
   * Records kept per partition before the oldest are dropped. Default 200,000. Trimming happens
   * in steps of an eighth of this, so a partition briefly holds up to 12.5 % more.
   */
  readonly retainPerPartition?: number;
  /** Per-topic overrides of `retainPerPartition`, e.g. a deeper input topic for a backlog. */
  readonly retainByTopic?: Readonly<Record<string, number>>;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
/** Record bytes are appended to chunks of this size (a larger record gets a chunk of its own). */
const CHUNK_BYTES = 1 << 20;

/**
 * One partition's retained records, stored as columns: key and value bytes appended to large
 * chunks, positions and timestamps in typed arrays. A record becomes an object only when a
 * consumer reads it. Keeping tens of thousands of records per partition as objects (record,
 * Buffer view, headers) made every published record survive into the old generation, and the
 * garbage collector then copied and marked them; with columns the log adds almost nothing
 * for it to trace.
 */
class PartitionLog {
  /** Offset of the first retained record. */
  base = 0n;
  /** Retained records; record i (offset base + i) is at column index i. */
  length = 0;
  private chunkOf = new Int32Array(1024);
  private start = new Int32Array(1024);
  /** −1: a null key. */
  private keyBytes = new Int32Array(1024);
  private valueBytes = new Int32Array(1024);
  private time = new Float64Array(1024);
  /** Headers by offset, for the few records that have any (dead letters). */
  private readonly headers = new Map<bigint, Readonly<Record<string, string>>>();
  private chunks: Buffer[] = [];
  /** Absolute number of chunks[0]. */
  private firstChunk = 0;
  private tailAt = CHUNK_BYTES;

  get end(): bigint {
    return this.base + BigInt(this.length);
  }

  append(
    key: string | null,
    value: Buffer | string,
    headers: Readonly<Record<string, string>> | undefined,
    timestamp: number,
  ): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: when that bound fits the chunk, the string
    // is written straight in and the write's count is its length (no separate measuring pass).
    const keyBound = key === null ? 0 : key.length * 3;
    const valueBound = typeof value === 'string' ? value.length * 3 : value.length;
    let chunk = this.chunks.at(-1);
    if (chunk === undefined || this.tailAt + keyBound + valueBound > chunk.length) {
      const exact =
        (key === null ? 0 : Buffer.byteLength(key)) +
        (typeof value === 'string' ? Buffer.byteLength(value) : value.length);
      if (chunk === undefined || this.tailAt + exact > chunk.length) {
        chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, exact));
        this.chunks.push(chunk);
        this.tailAt = 0;
      }
    }
    const at = this.tailAt;
    const kb = key === null ? 0 : chunk.write(key, at, 'utf8');
    const vb = typeof value === 'string' ? chunk.write(value, at + kb, 'utf8') : value.copy(chunk, at + kb);
    this.tailAt = at + kb + vb;

    const i = this.length;
    if (i === this.start.length) this.grow();
    this.chunkOf[i] = this.firstChunk + this.chunks.length - 1;
    this.start[i] = at;
    this.keyBytes[i] = key === null ? -1 : kb;
    this.valueBytes[i] = vb;
    this.time[i] = timestamp;
    if (headers !== undefined && Object.keys(headers).length > 0)
      this.headers.set(this.base + BigInt(i), headers);
    this.length = i + 1;
  }

  read(topic: string, partition: number, offset: bigint): ConsumedRecord {
    const i = Number(offset - this.base);
    const chunk = this.chunks[this.chunkOf[i]! - this.firstChunk]!;
    const at = this.start[i]!;
    const kb = this.keyBytes[i]!;
    const from = at + Math.max(0, kb);
    return {
      topic,
      partition,
      offset,
      key: kb < 0 ? null : chunk.toString('utf8', at, at + kb),
      value: chunk.subarray(from, from + this.valueBytes[i]!),
      headers: this.headers.get(offset) ?? NO_HEADERS,
      timestamp: this.time[i]!,
    };
  }

  /** Drops the oldest `n` records, and the chunks only they used. */
  dropOldest(n: number): void {
    for (const column of [this.chunkOf, this.start, this.keyBytes, this.valueBytes, this.time]) {
      column.copyWithin(0, n, this.length);
    }
    if (this.headers.size > 0)
      for (const o of this.headers.keys()) if (o < this.base + BigInt(n)) this.headers.delete(o);
    this.length -= n;
    this.base += BigInt(n);
    const firstUsed = this.length > 0 ? this.chunkOf[0]! : this.firstChunk + this.chunks.length - 1;
    if (firstUsed > this.firstChunk) {
      this.chunks.splice(0, firstUsed - this.firstChunk);
      this.firstChunk = firstUsed;
    }
  }

  private grow(): void {
    const size = this.start.length * 2;
    const widen = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.chunkOf = widen(this.chunkOf, (n) => new Int32Array(n));
    this.start = widen(this.start, (n) => new Int32Array(n));
    this.keyBytes = widen(this.keyBytes, (n) => new Int32Array(n));
    this.valueBytes = widen(this.valueBytes, (n) => new Int32Array(n));
    this.time = widen(this.time, (n) => new Float64Array(n));
  }
}

class Topic {
  readonly partitions: PartitionLog[];
  constructor(count: number) {
    this.partitions = Array.from({ length: count }, () => new PartitionLog());
  }
}

// Kafka's rule for keyed records, so a card lands on the partition it would on Kafka with the
// same partition count (per-key order needs only that the mapping is stable).
function partitionFor(key: string | null, count: number, roundRobin: () => number): number {
  if (key === null) return roundRobin() % count;
  return stringKeyPartition(key, count);
}

class Group {
  readonly committed = new Map<string, bigint>();
  readonly members: Member[] = [];
  readonly id: string;
  constructor(id: string) {
    this.id = id;
  }

  rebalance(bus: MemoryBus): void {
    const live = this.members.filter((m) => !m.closed);
    for (const m of live) m.assignment = [];
    const topics = [...new Set(live.flatMap((m) => m.topics))].sort();
    let i = 0;
    for (const t of topics) {
      const topic = bus.topic(t);
      for (let p = 0; p < topic.partitions.length; p++) {
        const candidates = live.filter((m) => m.topics.includes(t));
        if (candidates.length === 0) continue;
        const member = candidates[i++ % candidates.length]!;
        member.assignment.push({ topic: t, partition: p });
      }
    }
    for (const m of live) m.resetPositions(bus);
  }
}

class Member implements Subscription {
  assignment: { topic: string; partition: number }[] = [];
  private positions = new Map<string, bigint>();
  closed = false;
  private wake: (() => void) | null = null;

  private readonly bus: MemoryBus;
  private readonly group: Group;
  readonly topics: readonly string[];
  private readonly from: 'earliest' | 'latest';
  private readonly maxBatchSize: number;

  constructor(
    bus: MemoryBus,
    group: Group,
    topics: readonly string[],
    from: 'earliest' | 'latest',
    maxBatchSize: number,
  ) {
    this.bus = bus;
    this.group = group;
    this.topics = topics;
    this.from = from;
    this.maxBatchSize = maxBatchSize;
  }

  resetPositions(bus: MemoryBus): void {
    this.positions = new Map();
    for (const { topic, partition } of this.assignment) {
      const key = `${topic}:${partition}`;
      const log = bus.topic(topic).partitions[partition]!;
      const committed = this.group.committed.get(key);
      this.positions.set(key, committed ?? (this.from === 'earliest' ? log.base : log.end));
    }
    this.notify();
  }

  notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  async next(maxWaitMs = Number.POSITIVE_INFINITY): Promise<ConsumedRecord[] | null> {
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      if (this.closed) return null;
      const batch = this.poll();
      if (batch.length > 0) return batch;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return [];
      await new Promise<void>((resolve) => {
        const timer = Number.isFinite(remaining) ? setTimeout(resolve, remaining) : undefined;
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private poll(): ConsumedRecord[] {
    const batch: ConsumedRecord[] = [];
    for (const { topic, partition } of this.assignment) {
      const key = `${topic}:${partition}`;
      const log = this.bus.topic(topic).partitions[partition]!;
      let pos = this.positions.get(key)!;
      if (pos < log.base) pos = log.base; // fell behind retention, as Kafka's offset reset
      while (pos < log.end && batch.length < this.maxBatchSize) {
        batch.push(log.read(topic, partition, pos));
        pos++;
      }
      this.positions.set(key, pos);
      if (batch.length >= this.maxBatchSize) break;
    }
    return batch;
  }

  async commit(records: readonly ConsumedRecord[]): Promise<void> {
    for (const r of records) {
      const key = `${r.topic}:${r.partition}`;
      // Only partitions this member still owns: after a rebalance the new owner decides.
      if (!this.assignment.some((a) => a.topic === r.topic && a.partition === r.partition)) continue;
      const next = r.offset + 1n;
      if ((this.group.committed.get(key) ?? -1n) < next) this.group.committed.set(key, next);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.notify();
    const idx = this.group.members.indexOf(this);
    if (idx >= 0) this.group.members.splice(idx, 1);
    this.group.rebalance(this.bus);
  }
}

export class MemoryBus implements EventBus {
  readonly kind = 'memory' as const;
  private readonly topics = new Map<string, Topic>();
  private readonly groups = new Map<string, Group>();
  private readonly partitions: number;
  private readonly retain: number;
  private readonly retainByTopic: Readonly<Record<string, number>>;
  private rr = 0;

  constructor(options: MemoryBusOptions = {}) {
    this.partitions = options.partitions ?? 6;
    this.retain = options.retainPerPartition ?? 200_000;
    this.retainByTopic = options.retainByTopic ?? {};
  }

  topic(name: string): Topic {
    let t = this.topics.get(name);
    if (!t) {
      t = new Topic(this.partitions);
      this.topics.set(name, t);
    }
    return t;
  }

  async ensureTopics(topics: readonly { name: string; partitions: number }[]): Promise<void> {
    for (const { name, partitions } of topics) {
      if (!this.topics.has(name)) this.topics.set(name, new Topic(partitions));
    }
  }

  async publish(topicName: string, messages: readonly OutgoingMessage[]): Promise<void> {
    const topic = this.topic(topicName);
    const now = Date.now();
    const touched = new Set<number>();
    for (const m of messages) {
      const p = partitionFor(m.key, topic.partitions.length, () => this.rr++);
      topic.partitions[p]!.append(m.key, m.value, m.headers, m.timestamp ?? now);
      touched.add(p);
    }
    const retain = this.retainByTopic[topicName] ?? this.retain;
    for (const p of touched) {
      const log = topic.partitions[p]!;
      // Trim in steps of an eighth of the retention: splicing the array head on every
      // publish once full would cost O(retention) per call.
      const excess = log.length - retain;
      if (excess > 0 && excess >= Math.max(1, retain >>> 3)) log.dropOldest(excess);
    }
    for (const g of this.groups.values()) {
      for (const m of g.members) if (m.topics.includes(topicName)) m.notify();
    }
  }

  async publishAll(parts: readonly TopicMessages[]): Promise<void> {
    for (const p of parts) if (p.messages.length > 0) await this.publish(p.topic, p.messages);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    for (const t of options.topics) this.topic(t);
    let group = this.groups.get(options.groupId);
    if (!group) {
      group = new Group(options.groupId);
      this.groups.set(options.groupId, group);
    }
    const member = new Member(
      this,
      group,
      [...options.topics],
      options.from ?? 'latest',
      options.maxBatchSize ?? 500,
    );
    group.members.push(member);
    group.rebalance(this);
    return member;
  }

  /** Records currently retained in a topic (for tests and the live summary). */
  size(topicName: string): number {
    return this.topic(topicName).partitions.reduce((n, p) => n + p.length, 0);
  }

  async close(): Promise<void> {
    for (const g of this.groups.values()) for (const m of [...g.members]) await m.close();
  }
}
