import { KafkaBus } from '../adapters/bus-kafka/index.ts';
import { MemoryBus } from '../adapters/bus-memory/index.ts';
import { MemoryFeatureStore } from '../adapters/features-memory/index.ts';
import type { PlatformConfig } from '../config/index.ts';
import { TOPICS } from '../core/contracts/index.ts';
import { baselinePolicy, type DecisionPolicy } from '../core/decision/index.ts';
import type { EventBus, FeatureStore, GraphSignalSource, ModelScorer } from '../ports/index.ts';
import { DecisionEngine, type Holder } from '../services/decision-engine/index.ts';
import { PlatformMetrics } from '../services/telemetry/index.ts';

/**
 * The composition root: the one place that turns configuration into adapters. Every part is
 * embedded unless its environment variable names the real service.
 */

/** Kafka when `KAFKA_BROKERS` is set, else the in-process bus. */
export function createBus(config: PlatformConfig): EventBus {
  return config.kafkaBrokers
    ? new KafkaBus({ brokers: config.kafkaBrokers, clientId: config.kafkaClientId })
    : new MemoryBus({ partitions: config.partitions });
}

/** Every topic of the pipeline, with its partitioning (rules is compacted: latest set wins). */
export function topicSpecs(partitions: number) {
  return [
    { name: TOPICS.transactions, partitions },
    { name: TOPICS.enriched, partitions },
    { name: TOPICS.scores, partitions },
    { name: TOPICS.alerts, partitions },
    { name: TOPICS.dlq, partitions },
    { name: TOPICS.labels, partitions },
    { name: TOPICS.labelsDlq, partitions: 1 },
    { name: TOPICS.rules, partitions: 1, compacted: true },
    { name: TOPICS.models, partitions: 1, compacted: true },
  ];
}

/** Redis when `REDIS_URL` is set, else in-memory state. */
export async function createFeatureStore(config: PlatformConfig): Promise<FeatureStore> {
  if (config.redisUrl) {
    // Loaded lazily: the ioredis client is only needed when Redis is configured.
    const mod = (await import(new URL('../adapters/features-redis/index.ts', import.meta.url).href)) as {
      createRedisFeatureStore(url: string): Promise<FeatureStore>;
    };
    return mod.createRedisFeatureStore(config.redisUrl);
  }
  return new MemoryFeatureStore();
}

/** Graph signals: none until the graph adapters are wired. */
export async function createGraph(_config: PlatformConfig): Promise<GraphSignalSource> {
  return { kind: 'none', signalsFor: () => undefined, observe: async () => {}, close: async () => {} };
}

/** A mutable holder: the swap is one assignment, so readers never see half a change. */
export class SwapHolder<T> implements Holder<T> {
  current: T;
  constructor(initial: T) {
    this.current = initial;
  }
}

export interface Platform {
  readonly config: PlatformConfig;
  readonly bus: EventBus;
  readonly features: FeatureStore;
  readonly graph: GraphSignalSource;
  readonly policy: SwapHolder<DecisionPolicy>;
  readonly model: SwapHolder<ModelScorer | null>;
  readonly challenger: SwapHolder<ModelScorer | null>;
  readonly engine: DecisionEngine;
  readonly metrics: PlatformMetrics;
  close(): Promise<void>;
}

export async function createPlatform(
  config: PlatformConfig,
  options: { bus?: EventBus } = {},
): Promise<Platform> {
  const bus = options.bus ?? createBus(config);
  const features = await createFeatureStore(config);
  const graph = await createGraph(config);
  const policy = new SwapHolder<DecisionPolicy>(baselinePolicy());
  const model = new SwapHolder<ModelScorer | null>(null);
  const challenger = new SwapHolder<ModelScorer | null>(null);
  const engine = new DecisionEngine({ features, graph, policy, model, challenger });
  const metrics = new PlatformMetrics();
  metrics.activeVersion.set({ kind: 'rules', version: policy.current.version }, 1);
  return {
    config,
    bus,
    features,
    graph,
    policy,
    model,
    challenger,
    engine,
    metrics,
    async close() {
      await bus.close();
      await features.close();
      await graph.close();
      await model.current?.close();
      await challenger.current?.close();
    },
  };
}
