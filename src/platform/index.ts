import { readFileSync } from 'node:fs';
import { describeClientError, KafkaBus, type KafkaBusOptions } from '../adapters/bus-kafka/index.ts';
import { MemoryBus } from '../adapters/bus-memory/index.ts';
import { MemoryFeatureStore } from '../adapters/features-memory/index.ts';
import { createGraphSignalSource, type LabelledGraphSignalSource } from '../adapters/graph-neo4j/index.ts';
import { startModelWatchers } from '../adapters/model-onnx/index.ts';
import type { PlatformConfig } from '../config/index.ts';
import type { Label } from '../core/contracts/index.ts';
import { TOPICS } from '../core/contracts/index.ts';
import type { DecisionPolicy } from '../core/decision/index.ts';
import type { ListPersistence } from '../core/lists/index.ts';
import type { EventBus, FeatureStore, ModelScorer } from '../ports/index.ts';
import { DecisionEngine, type Holder } from '../services/decision-engine/index.ts';
import { FileLabelStore } from '../services/ml/index.ts';
import { type RulesRuntime, startRulesRuntime } from '../services/rules-engine/index.ts';
import { type Logger, PlatformMetrics } from '../services/telemetry/index.ts';

/**
 * The composition root: the one place that turns configuration into adapters. Every part is
 * embedded unless its environment variable names the real service.
 */

/**
 * The in-process bus's retention per partition. It only has to cover consumer lag in one
 * process: 20,000 records per partition keeps `bin/fraud up`'s enriched topic (~2 KB a record)
 * near 250 MB instead of gigabytes.
 */
export const EMBEDDED_RETAIN_PER_PARTITION = 20_000;

/** Kafka when `KAFKA_BROKERS` is set, else the in-process bus. */
export function createBus(config: PlatformConfig, log?: Logger): EventBus {
  return config.kafkaBrokers
    ? new KafkaBus({
        ...kafkaOptions(config),
        // A join the broker keeps refusing for a while is worth a line per attempt, not silence.
        onJoinRetry: (groupId, { attempt, waitMs, error }) =>
          log?.warn(
            { groupId, attempt, waitMs, err: describeClientError(error) },
            'Kafka group join failed, retrying',
          ),
        onTopicsRetry: ({ attempt, waitMs, error }) =>
          log?.warn(
            { attempt, waitMs, err: describeClientError(error) },
            'Kafka topic set-up failed, retrying',
          ),
      })
    : new MemoryBus({ partitions: config.partitions, retainPerPartition: EMBEDDED_RETAIN_PER_PARTITION });
}

/** Kafka client options from the configuration (brokers, client id, TLS, SASL). */
export function kafkaOptions(config: PlatformConfig): KafkaBusOptions {
  const { tls, caFile, sasl } = config.kafkaSecurity;
  return {
    brokers: config.kafkaBrokers ?? [],
    clientId: config.kafkaClientId,
    tls: tls ? (caFile ? { ca: readFileSync(caFile, 'utf8') } : {}) : null,
    sasl,
    compression: config.kafkaCompression,
    fetch: config.kafkaFetch,
    ...(config.kafkaReplicationFactor === null ? {} : { replicationFactor: config.kafkaReplicationFactor }),
  };
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

/** Redis when `REDIS_URL` is set, else in-memory state (on its own thread unless `FRAUD_FEATURE_THREAD=off`). */
export async function createFeatureStore(config: PlatformConfig): Promise<FeatureStore> {
  if (config.redisUrl) {
    // Loaded lazily: the ioredis client is only needed when Redis is configured.
    const { createRedisFeatureStore } = await import('../adapters/features-redis/index.ts');
    return createRedisFeatureStore(config.redisUrl);
  }
  if (config.featureThread) {
    const { ThreadedFeatureStore } = await import('../adapters/features-memory/thread.ts');
    return new ThreadedFeatureStore();
  }
  return new MemoryFeatureStore();
}

/** A mutable holder: the swap is one assignment, so readers never see half a change. */
export class SwapHolder<T> implements Holder<T> {
  current: T;
  constructor(initial: T) {
    this.current = initial;
  }
}

/** Where the `labels` topic goes: the label-delayed features, the graph's fraud signals and the ML label store. */
export interface LabelSink {
  addLabels(labels: readonly Label[]): Promise<void>;
}

export interface Platform {
  readonly config: PlatformConfig;
  readonly bus: EventBus;
  readonly features: FeatureStore;
  readonly graph: LabelledGraphSignalSource;
  /** Rule set, lists and hot reload (`rules` topic, `PUT /v1/rules`). */
  readonly rules: RulesRuntime;
  readonly policy: Holder<DecisionPolicy>;
  readonly model: SwapHolder<ModelScorer | null>;
  readonly challenger: SwapHolder<ModelScorer | null>;
  readonly labels: LabelSink;
  readonly engine: DecisionEngine;
  readonly metrics: PlatformMetrics;
  close(): Promise<void>;
}

export interface CreatePlatformOptions {
  /** A bus to use instead of the configured one (tests, benchmarks). */
  readonly bus?: EventBus;
  /** A graph signal source already opened by the caller (the API shares it with the console). */
  readonly graph?: LabelledGraphSignalSource;
  /** Where lists live, when not the default (the API passes the console store's). */
  readonly listPersistence?: ListPersistence;
  /** Watch the `rules` and `models` topics and the model registry for hot swaps. Default true. */
  readonly watch?: boolean;
  readonly logger?: Logger;
}

/**
 * Builds one platform instance. Every part is embedded unless configured: bus (KAFKA_BROKERS),
 * feature state (REDIS_URL), graph (NEO4J_URI), lists (DATABASE_URL, else a file under the
 * data dir), the champion model (FRAUD_MODEL, else models/default) and an optional challenger
 * scored in shadow (FRAUD_CHALLENGER_MODEL).
 */
export async function createPlatform(
  config: PlatformConfig,
  options: CreatePlatformOptions = {},
): Promise<Platform> {
  const log = options.logger;
  const bus = options.bus ?? createBus(config, log);
  const metrics = new PlatformMetrics();
  const features = await createFeatureStore(config);
  const graph = options.graph ?? (await createGraphSignalSource(config));
  const rules = await startRulesRuntime(config, bus, {
    watch: options.watch ?? true,
    ...(options.listPersistence ? { listPersistence: options.listPersistence } : {}),
    onSwap: (swap) => {
      metrics.activeVersion.set({ kind: 'rules', version: swap.previous.version }, 0);
      metrics.activeVersion.set({ kind: 'rules', version: swap.current.version }, 1);
      log?.info(
        { from: swap.previous.version, to: swap.current.version, origin: swap.origin },
        'rule set switched',
      );
    },
    onError: (err) => log?.warn({ err }, 'rule set or lists update rejected; the running version stays'),
  });
  await rules.ready;
  metrics.activeVersion.set({ kind: 'rules', version: rules.policy.current.version }, 1);

  const model = new SwapHolder<ModelScorer | null>(null);
  const challenger = new SwapHolder<ModelScorer | null>(null);
  const models = await startModelWatchers({
    champion: config.model,
    challenger: config.challengerModel,
    championSlot: model,
    challengerSlot: challenger,
    ...(options.watch === false ? { intervalMs: 0 } : { bus }),
    onSwap: (role, previous, next) => {
      if (previous) metrics.activeVersion.set({ kind: role, version: previous }, 0);
      if (next) metrics.activeVersion.set({ kind: role, version: next }, 1);
      log?.info({ role, from: previous, to: next }, 'model switched');
    },
    onError: (role, err) => log?.warn({ err, role }, 'model could not be loaded; the running model stays'),
  });
  if (model.current) metrics.activeVersion.set({ kind: 'champion', version: model.current.version }, 1);

  const engine = new DecisionEngine({ features, graph, policy: rules.policy, model, challenger });
  // The feedback loop: labels also accumulate in the ML label store that `bin/fraud retrain` reads
  // (one file per instance under the data dir; see docs/ml.md).
  const labelStore = new FileLabelStore(config.dataDir);
  const labels: LabelSink = {
    async addLabels(batch) {
      await Promise.all([features.addLabels(batch), graph.addLabels(batch), labelStore.append(batch)]);
    },
  };
  return {
    config,
    bus,
    features,
    graph,
    rules,
    policy: rules.policy,
    model,
    challenger,
    labels,
    engine,
    metrics,
    async close() {
      await models.stop();
      await rules.close();
      await bus.close();
      await features.close();
      await graph.close();
      await model.current?.close();
      await challenger.current?.close();
    },
  };
}
