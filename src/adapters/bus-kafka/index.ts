import { Admin, Consumer, type Message, type MessageToProduce, Producer } from '@platformatic/kafka';
import { keyHash } from '../../core/contracts/partitioning.ts';
import { FraudError } from '../../core/errors/index.ts';
import { encodeValues } from '../../core/pipeline/encode.ts';
import type {
  ConsumedRecord,
  EventBus,
  FetchOptions,
  OutgoingMessage,
  SubscribeOptions,
  Subscription,
  TopicMessages,
} from '../../ports/index.ts';
import { describeClientError, type JoinRetry, retryWhileTransient, someError } from './join.ts';

/** Options of the Kafka event bus. */
export const KAFKA_COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type KafkaCompression = (typeof KAFKA_COMPRESSIONS)[number];

export interface KafkaBusOptions {
  readonly brokers: readonly string[];
  /** Default `fraud`. */
  readonly clientId?: string;
  /** Broker acknowledgements for produced records: -1 (all in-sync replicas, default) or 1. */
  readonly acks?: -1 | 1;
  /**
   * Upper bound on one produce request, in ms. Default 30,000. The client can wait indefinitely
   * for metadata of a topic that does not exist (auto-creation is off); past this deadline the
   * send fails as retryable, naming the topic, instead of hanging the caller.
   */
  readonly sendTimeoutMs?: number;
  /** TLS to the brokers (`ca`: a private CA in PEM). Default: plaintext. */
  readonly tls?: { readonly ca?: string } | null;
  /**
   * Compression of produced record batches. Default `none`. JSON compresses 4-6×, which cuts
   * the bytes every produce writes to the socket and the broker stores; consumers decompress
   * whatever the batch says, so producers may differ.
   */
  readonly compression?: KafkaCompression;
  /**
   * Replication factor of the topics `ensureTopics` creates. Default: the cluster's own
   * `default.replication.factor` (the request says -1), so a managed cluster's RF 3 applies and
   * a single local broker's 1 does too.
   */
  readonly replicationFactor?: number;
  /**
   * The fetch every subscription makes unless it says otherwise (`SubscribeOptions.fetch`).
   * Default 50 ms and 1 byte: the broker answers as soon as one record is there. A larger
   * `minBytes` trades up to `maxWaitMs` of latency at low rates for fewer, fuller fetches (each
   * request costs the broker and the client CPU whatever it carries; docs/benchmarks.md, Pipeline).
   */
  readonly fetch?: FetchOptions;
  /** Called before each new attempt of `ensureTopics` after a transient failure. */
  readonly onTopicsRetry?: (retry: JoinRetry) => void;
  /**
   * How long a new subscription keeps trying to join its group, and `ensureTopics` to create
   * the topics, while the broker answers with retryable errors (coordinator moving or loading,
   * broker unreachable). Default 60,000 ms.
   */
  readonly joinTimeoutMs?: number;
  /** Told of each retried join (the platform logs it). */
  readonly onJoinRetry?: (groupId: string, retry: JoinRetry) => void;
  /** SASL authentication. Default: none. */
  readonly sasl?: {
    readonly mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
    readonly username: string;
    readonly password: string;
  } | null;
}

/** The client options every Kafka client of the platform shares: brokers, TLS and SASL. */
export function connectionOptions(options: KafkaBusOptions) {
  return {
    bootstrapBrokers: [...options.brokers],
    ...(options.tls ? { tls: options.tls.ca ? { ca: options.tls.ca } : {} } : {}),
    ...(options.sasl ? { sasl: { ...options.sasl } } : {}),
  };
}

type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>;

// Offsets are committed through the client's own per-message commit, which funnels concurrent
// commits into one monotonic in-flight request per partition (a raw Consumer#commit could let a
// lower offset overwrite a higher one). The record keeps a handle to it here.
const commitHandles = new WeakMap<ConsumedRecord, RawMessage>();

function toRecord(m: RawMessage): ConsumedRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of m.headers) headers[k.toString()] = v.toString();
  const record: ConsumedRecord = {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    key: m.key && m.key.length > 0 ? m.key.toString() : null,
    value: m.value ?? Buffer.alloc(0),
    headers,
    timestamp: Number(m.timestamp),
  };
  commitHandles.set(record, m);
  return record;
}

class KafkaSubscription implements Subscription {
  private closed = false;
  private failure: Error | null = null;
  private readonly consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  private readonly stream: Awaited<ReturnType<Consumer<Buffer, Buffer, Buffer, Buffer>['consume']>>;
  private readonly maxBatchSize: number;

  constructor(
    consumer: Consumer<Buffer, Buffer, Buffer, Buffer>,
    stream: Awaited<ReturnType<Consumer<Buffer, Buffer, Buffer, Buffer>['consume']>>,
    maxBatchSize: number,
  ) {
    this.consumer = consumer;
    this.stream = stream;
    this.maxBatchSize = maxBatchSize;
    stream.on('error', (err: Error) => {
      this.failure = err;
      this.wakeUp();
    });
    // One permanent 'readable' listener keeps the stream in paused (pull) mode. Removing the
    // last one would reset readableFlowing to null, which stops the client's fetch loop.
    stream.on('readable', () => this.wakeUp());
    stream.on('close', () => this.wakeUp());
  }

  private waiter: (() => void) | null = null;

  private wakeUp(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  async next(maxWaitMs = Number.POSITIVE_INFINITY): Promise<ConsumedRecord[] | null> {
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      if (this.closed) return null;
      if (this.failure) {
        throw new FraudError(
          'FRAUD_DEPENDENCY_UNAVAILABLE',
          `Kafka consumer failed: ${this.failure.message}`,
          {
            cause: this.failure,
          },
        );
      }
      // Drain what the stream has buffered, without waiting to fill the batch: latency first.
      // Not calling next() leaves the stream full, which stops fetching (back-pressure).
      const batch: ConsumedRecord[] = [];
      while (batch.length < this.maxBatchSize) {
        const m = this.stream.read() as RawMessage | null;
        if (m === null) break;
        batch.push(toRecord(m));
      }
      if (batch.length > 0) return batch;
      if (this.stream.destroyed || this.stream.readableEnded) return null;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return [];
      await new Promise<void>((resolve) => {
        const timer = Number.isFinite(remaining) ? setTimeout(() => this.wakeUp(), remaining) : undefined;
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async commit(records: readonly ConsumedRecord[]): Promise<void> {
    const last = new Map<string, ConsumedRecord>();
    for (const r of records) {
      const key = `${r.topic}:${r.partition}`;
      const prev = last.get(key);
      if (!prev || prev.offset < r.offset) last.set(key, r);
    }
    await Promise.all(
      [...last.values()].map(async (r) => {
        const handle = commitHandles.get(r);
        if (!handle) throw new FraudError('FRAUD_INTERNAL', 'record was not consumed by this subscription');
        await handle.commit();
      }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stream.close().catch(() => {});
    await this.consumer.close(true).catch(() => {});
  }
}

/** Upper bound on the bytes of one produce request (below the broker's 1 MiB default). */
const MAX_SEND_BYTES = 512 * 1024;

/** The production event bus: Apache Kafka through @platformatic/kafka (pure TypeScript client). */
export class KafkaBus implements EventBus {
  readonly kind = 'kafka' as const;
  private readonly options: Required<
    Omit<
      KafkaBusOptions,
      | 'tls'
      | 'sasl'
      | 'sendTimeoutMs'
      | 'compression'
      | 'replicationFactor'
      | 'fetch'
      | 'joinTimeoutMs'
      | 'onJoinRetry'
      | 'onTopicsRetry'
    >
  > &
    KafkaBusOptions;
  private producer: Producer<Buffer, Buffer, string, string> | null = null;
  /** Where an unkeyed record goes next (the DLQ's unparseable input has no card). */
  private roundRobin = 0;
  private readonly subscriptions = new Set<Subscription>();
  /** Bumped by close(): a join still retrying from before it gives up. */
  private closes = 0;

  constructor(options: KafkaBusOptions) {
    this.options = { clientId: 'fraud', acks: -1, ...options };
  }

  private getProducer(): Producer<Buffer, Buffer, string, string> {
    this.producer ??= new Producer({
      clientId: `${this.options.clientId}-producer`,
      ...connectionOptions(this.options),
      acks: this.options.acks,
      // Idempotence makes the client's own retries (e.g. leader moves) exactly-once per
      // partition: without it a retried request can write the same records twice.
      idempotent: this.options.acks === -1,
      autocreateTopics: false,
      // Kafka's own rule for keyed records (the Java client's), without the client's BigInt
      // murmur2: a card lands where a Java producer would put it (src/core/contracts/partitioning.ts).
      // The client takes the result modulo the topic's partition count.
      partitioner: (_message, key) => (key === undefined ? this.roundRobin++ : keyHash(key)),
      ...(this.options.compression && this.options.compression !== 'none'
        ? { compression: this.options.compression }
        : {}),
      serializers: {
        headerKey: (s?: string) => (s === undefined ? undefined : Buffer.from(s)),
        headerValue: (s?: string) => (s === undefined ? undefined : Buffer.from(s)),
      },
    });
    return this.producer;
  }

  async publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    await this.publishAll([{ topic, messages }]);
  }

  async publishAll(parts: readonly TopicMessages[]): Promise<void> {
    // The client writes each partition's share of one send as one record batch, and the broker
    // refuses a batch over max.message.bytes (1 MiB by default). Sending in size-bounded chunks,
    // one after another, keeps every batch under it and keeps per-key order. One send may span
    // topics: the client makes one produce request per broker of it, not one per topic.
    let chunk: MessageToProduce<Buffer, Buffer, string, string>[] = [];
    let bytes = 0;
    for (const { topic, messages } of parts) {
      const values = encodeValues(messages.map((m) => m.value));
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!;
        const value = values[i]!;
        const size = value.length + (m.key?.length ?? 0) + 64;
        if (chunk.length > 0 && bytes + size > MAX_SEND_BYTES) {
          await this.send(chunk);
          chunk = [];
          bytes = 0;
        }
        chunk.push({
          topic,
          key: m.key === null ? undefined : Buffer.from(m.key),
          value,
          ...(m.headers ? { headers: m.headers as Record<string, string> } : {}),
          ...(m.timestamp === undefined ? {} : { timestamp: BigInt(m.timestamp) }),
        });
        bytes += size;
      }
    }
    if (chunk.length > 0) await this.send(chunk);
  }

  private async send(messages: MessageToProduce<Buffer, Buffer, string, string>[]): Promise<void> {
    const topic = [...new Set(messages.map((m) => m.topic))].join("', '");
    const timeoutMs = this.options.sendTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new FraudError(
              'FRAUD_DEPENDENCY_UNAVAILABLE',
              `Kafka produce to '${topic}' got no answer in ${timeoutMs} ms (does the topic exist? 'bin/fraud topics create')`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.getProducer().send({ messages }), deadline]);
    } catch (err) {
      if (err instanceof FraudError) throw err;
      // A request the broker refuses for good (e.g. too large) must fail loudly, not be retried forever.
      const permanent = someError(err, (e) => e.canRetry === false && e.code === 'PLT_KFK_PROTOCOL');
      throw new FraudError(
        permanent ? 'FRAUD_BUS_REJECTED' : 'FRAUD_DEPENDENCY_UNAVAILABLE',
        `Kafka produce to '${topic}' failed: ${describeClientError(err)}`,
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const { groupId } = options;
    const closes = this.closes;
    try {
      const sub = await retryWhileTransient(() => this.join(options, closes), {
        timeoutMs: this.options.joinTimeoutMs ?? 60_000,
        onRetry: (retry) => this.options.onJoinRetry?.(groupId, retry),
      });
      if (this.closes !== closes) {
        await sub.close();
        throw new FraudError('FRAUD_DEPENDENCY_UNAVAILABLE', 'the Kafka bus closed while the group joined');
      }
      this.subscriptions.add(sub);
      return sub;
    } catch (err) {
      if (err instanceof FraudError) throw err;
      throw new FraudError(
        'FRAUD_DEPENDENCY_UNAVAILABLE',
        `Kafka consumer group '${groupId}' could not join: ${describeClientError(err)}`,
        { cause: err },
      );
    }
  }

  /** One attempt: a fresh consumer, closed again if its join fails (it may hold connections). */
  private async join(options: SubscribeOptions, closes: number): Promise<KafkaSubscription> {
    if (this.closes !== closes)
      throw new FraudError('FRAUD_DEPENDENCY_UNAVAILABLE', 'the Kafka bus is closed');
    const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      clientId: `${this.options.clientId}-${options.groupId}`,
      groupId: options.groupId,
      ...connectionOptions(this.options),
      autocommit: false,
      // Short timeouts so that a killed member's partitions move to the survivors quickly.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 15_000,
      maxWaitTime: options.fetch?.maxWaitMs ?? this.options.fetch?.maxWaitMs ?? 50,
      minBytes: options.fetch?.minBytes ?? this.options.fetch?.minBytes ?? 1,
      highWaterMark: Math.max(1024, (options.maxBatchSize ?? 500) * 4),
    });
    try {
      const stream = await consumer.consume({
        topics: [...options.topics],
        mode: 'committed',
        fallbackMode: options.from ?? 'latest',
      });
      return new KafkaSubscription(consumer, stream, options.maxBatchSize ?? 500);
    } catch (err) {
      await consumer.close(true).catch(() => {});
      throw err;
    }
  }

  /**
   * Creates the topics that do not exist yet. Like a group join, this waits out transient broker
   * trouble (a broker restarting as the services start) until `joinTimeoutMs`; a topic another
   * process created meanwhile counts as created.
   */
  async ensureTopics(
    topics: readonly { name: string; partitions: number; compacted?: boolean }[],
  ): Promise<void> {
    try {
      await retryWhileTransient(() => this.createMissing(topics), {
        timeoutMs: this.options.joinTimeoutMs ?? 60_000,
        onRetry: (retry) => this.options.onTopicsRetry?.(retry),
      });
    } catch (err) {
      throw new FraudError(
        'FRAUD_DEPENDENCY_UNAVAILABLE',
        `Kafka topic set-up failed: ${describeClientError(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  /** One attempt, with a fresh admin client. */
  private async createMissing(
    topics: readonly { name: string; partitions: number; compacted?: boolean }[],
  ): Promise<void> {
    const admin = new Admin({
      clientId: `${this.options.clientId}-admin`,
      ...connectionOptions(this.options),
    });
    try {
      const existing = new Set(await admin.listTopics());
      for (const t of topics) {
        if (existing.has(t.name)) continue;
        try {
          await admin.createTopics({
            topics: [t.name],
            partitions: t.partitions,
            replicas: this.options.replicationFactor ?? -1,
            ...(t.compacted ? { configs: [{ name: 'cleanup.policy', value: 'compact' }] } : {}),
          });
        } catch (err) {
          // Another service starting at the same time created it first.
          if (!someError(err, (e) => e.apiId === 'TOPIC_ALREADY_EXISTS')) throw err;
        }
      }
    } finally {
      await admin.close();
    }
  }

  async close(): Promise<void> {
    this.closes++;
    for (const s of this.subscriptions) await s.close();
    this.subscriptions.clear();
    await this.producer?.close(true);
    this.producer = null;
  }
}

export { describeClientError, type JoinRetry } from './join.ts';
