/**
 * Event bus port: Kafka in production (`KAFKA_BROKERS`), an in-process bus by default.
 * Both keep Kafka's guarantees the pipeline relies on: per-key order (a key always maps to
 * one partition), consumer groups that share partitions, and at-least-once delivery with
 * explicit commits of processed offsets.
 */
export interface OutgoingMessage {
  readonly key: string | null;
  readonly value: Buffer | string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Producer send time (epoch ms); defaults to now. Latency is measured from it. */
  readonly timestamp?: number;
}

export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: string | null;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestamp: number;
}

export interface SubscribeOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where a group with no committed offset starts. Default: `latest`. */
  readonly from?: 'earliest' | 'latest';
  /** Upper bound on records per batch handed to the handler. Default 500. */
  readonly maxBatchSize?: number;
  /**
   * How long the broker may hold a fetch waiting for `minBytes` of new records (Kafka's
   * `fetch.max.wait.ms` and `fetch.min.bytes`). Defaults: the bus's (`KAFKA_FETCH_MAX_WAIT_MS`,
   * `KAFKA_FETCH_MIN_BYTES`). A reader that is not latency-critical waits longer and fetches
   * less often. The in-process bus hands records over as they are published and ignores this.
   */
  readonly fetch?: FetchOptions;
}

export interface FetchOptions {
  readonly maxWaitMs?: number;
  readonly minBytes?: number;
}

/**
 * For topics whose records are rare and must act at once (rule sets, model promotions): the
 * broker answers as soon as one record is there, and holds an empty fetch 500 ms. With the bus
 * default (50 ms) each idle watcher sent 20 fetches a second, each ~0.3 ms of broker CPU on a
 * small host (docs/benchmarks.md, Pipeline).
 */
export const WATCH_FETCH: FetchOptions = { minBytes: 1, maxWaitMs: 500 };

/** For readers that are not latency-critical (labels: chargebacks come days late): fewer, fuller fetches. */
export const BULK_FETCH: FetchOptions = { minBytes: 64 * 1024, maxWaitMs: 500 };

/** A consumer-group membership. Batches hold records in offset order per partition. */
export interface Subscription {
  /**
   * Pulls the next batch, waiting up to `maxWaitMs` (default: indefinitely) for records; an empty
   * batch means none arrived in time, `null` that the subscription is closed. Not pulling is
   * back-pressure. One call at a time: a caller that stops waiting must not leave a read pending.
   */
  next(maxWaitMs?: number): Promise<ConsumedRecord[] | null>;
  /** Commits, per partition, the offset after the highest given record. */
  commit(records: readonly ConsumedRecord[]): Promise<void>;
  /** Leaves the group; partitions move to the remaining members. */
  close(): Promise<void>;
}

/** One topic's share of a multi-topic publish. */
export interface TopicMessages {
  readonly topic: string;
  readonly messages: readonly OutgoingMessage[];
}

export interface EventBus {
  readonly kind: 'memory' | 'kafka';
  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  /**
   * Publishes to several topics as one write where the bus can (Kafka: one produce request per
   * broker instead of one per topic), keeping per-key order within each topic. Resolves once
   * everything is acknowledged; on failure some topics may have been written (at-least-once).
   */
  publishAll(parts: readonly TopicMessages[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Creates missing topics (idempotent). */
  ensureTopics(topics: readonly { name: string; partitions: number; compacted?: boolean }[]): Promise<void>;
  close(): Promise<void>;
}
