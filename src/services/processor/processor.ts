import { isAscii } from 'node:buffer';
import {
  type Label,
  parseTransaction,
  TOPICS,
  type Transaction,
  validators,
} from '../../core/contracts/index.ts';
import { FraudError, isFraudError } from '../../core/errors/index.ts';
import {
  alertJson,
  EnrichedEncoder,
  type EnrichedFeatureForm,
  scoreJson,
} from '../../core/pipeline/index.ts';
import {
  BULK_FETCH,
  type ConsumedRecord,
  type EventBus,
  type FeatureStore,
  type GraphSignalSource,
  type OutgoingMessage,
  type Subscription,
} from '../../ports/index.ts';
import type { DecisionEngine, DecisionResult } from '../decision-engine/index.ts';
import type { Logger, PlatformMetrics } from '../telemetry/index.ts';

/**
 * The processor's lifecycle. Transitions are guarded (see `transition`):
 *
 *   idle ─start→ starting ─→ running ─stop→ draining ─→ stopped
 *                   └──────────┴── unrecoverable error ──→ failed
 */
export type ProcessorState = 'idle' | 'starting' | 'running' | 'draining' | 'stopped' | 'failed';

/** How long one poll waits for records before the loop re-checks for a stop request. */
const POLL_MS = 250;

const TRANSITIONS: Record<ProcessorState, readonly ProcessorState[]> = {
  idle: ['starting'],
  starting: ['running', 'failed', 'draining'],
  running: ['draining', 'failed'],
  draining: ['stopped', 'failed'],
  stopped: [],
  failed: [],
};

export interface ProcessorOptions {
  readonly bus: EventBus;
  readonly engine: DecisionEngine;
  /**
   * Receives labels from the `labels` topic: the label-delayed risk features and the graph's
   * confirmed-fraud signals (`platform.labels`; a FeatureStore also fits).
   */
  readonly features: Pick<FeatureStore, 'addLabels'>;
  /** Receives each decided batch (incremental graph signals). */
  readonly graph?: GraphSignalSource;
  readonly metrics?: PlatformMetrics;
  readonly logger?: Logger;
  /** Consumer group shared by all processor instances. Default `fraud-processor`. */
  readonly groupId?: string;
  /** Where a new group starts. Default `earliest`, so nothing produced before the first start is lost. */
  readonly from?: 'earliest' | 'latest';
  /** Records per batch. Default 500. */
  readonly maxBatchSize?: number;
  /**
   * Batches whose output may be in flight while the next one is decided. Default 4. Decisions
   * stay strictly sequential (feature state is applied in offset order); only the produce round
   * trips overlap. Batches are produced in order, and offsets are committed in batch order after
   * their output is acked. Offset commits are not counted here: they coalesce (see `commitLater`).
   */
  readonly maxInFlight?: number;
  /**
   * The least time between two offset commits, in ms. Default 100. Every commit is a request the
   * broker's group coordinator handles; back to back they came 30-70 times a second at 5,000 tx/s
   * (docs/benchmarks.md, Pipeline). A crash redoes what was not committed (idempotent), so a
   * longer interval only means more records redone. A stop commits at once.
   */
  readonly commitIntervalMs?: number;
  /** How enriched records carry the features (`FRAUD_ENRICHED_FEATURES`). Default `vector`. */
  readonly enrichedFeatures?: EnrichedFeatureForm;
  /** Also consume the `labels` topic. Default true. */
  readonly consumeLabels?: boolean;
  /**
   * Called after each batch's output has been produced (live summary, benchmarks), with each
   * decided record's end-to-end latency: producer send time to its score being produced.
   */
  readonly onBatch?: (
    results: readonly DecisionResult[],
    deadLettered: number,
    endToEndMs: readonly number[],
  ) => void;
}

/**
 * The stream processor: a consumer-group member on `transactions` that validates, enriches,
 * decides, and produces to `enriched-transactions`, `scores`, `alerts` and, for bad input,
 * `transactions.dlq` (original bytes + reason). Delivery is at-least-once: an offset is committed
 * only after everything derived from its record has been acknowledged by the bus, and the
 * feature store is idempotent per transaction_id, so a replay after a crash double-counts nothing.
 */
export class StreamProcessor {
  private stateValue: ProcessorState = 'idle';
  private readonly options: ProcessorOptions;
  private readonly inFlight: Promise<void>[] = [];
  private readonly enrichedEncoder: EnrichedEncoder;
  /** The last batch handed to `produce`: the next one is produced after it. */
  private producedTail: Promise<unknown> = Promise.resolve();
  /** Newest produced record per partition whose offset is not committed yet. */
  private readonly uncommitted = new Map<string, ConsumedRecord>();
  /** The commit request in flight, if any; it goes on until `uncommitted` is empty. */
  private committing: Promise<void> | null = null;
  /** When the last commit request started (for `commitIntervalMs`). */
  private lastCommitAt = 0;
  /** Ends the wait between two commits early (`commitsSettled`: a drain, a rejoin). */
  private commitNow: (() => void) | null = null;
  private flushCommits = false;
  private subscription: Subscription | null = null;
  private labelSubscription: Subscription | null = null;
  private loops: Promise<void>[] = [];
  private stopRequested = false;
  processed = 0;
  deadLettered = 0;

  constructor(options: ProcessorOptions) {
    this.options = options;
    this.enrichedEncoder = new EnrichedEncoder(options.enrichedFeatures);
  }

  get state(): ProcessorState {
    return this.stateValue;
  }

  private transition(to: ProcessorState): void {
    if (!TRANSITIONS[this.stateValue].includes(to)) {
      throw new FraudError('FRAUD_INTERNAL', `processor cannot go from ${this.stateValue} to ${to}`);
    }
    this.options.logger?.info({ from: this.stateValue, to }, 'processor state');
    this.options.metrics?.processorState.set({ state: this.stateValue }, 0);
    this.options.metrics?.processorState.set({ state: to }, 1);
    this.stateValue = to;
  }

  async start(): Promise<void> {
    this.transition('starting');
    const { bus } = this.options;
    const groupId = this.options.groupId ?? 'fraud-processor';
    try {
      this.subscription = await bus.subscribe({
        groupId,
        topics: [TOPICS.transactions],
        from: this.options.from ?? 'earliest',
        maxBatchSize: this.options.maxBatchSize ?? 500,
      });
      if (this.options.consumeLabels ?? true) {
        this.labelSubscription = await bus.subscribe({
          groupId: `${groupId}-labels`,
          topics: [TOPICS.labels],
          from: 'earliest',
          // Labels come days after their transactions: fewer, fuller fetches.
          fetch: BULK_FETCH,
        });
      }
    } catch (err) {
      this.transition('failed');
      throw err;
    }
    if (this.stopRequested) return;
    this.transition('running');
    this.loops = [this.transactionLoop()];
    if (this.labelSubscription) this.loops.push(this.labelLoop(this.labelSubscription));
  }

  /** Graceful drain: stop pulling, finish and commit what is in flight, leave the group. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    if (this.stateValue === 'stopped' || this.stateValue === 'failed' || this.stateValue === 'draining') {
      await Promise.allSettled(this.loops);
      return;
    }
    if (this.stateValue === 'idle') return;
    this.transition('draining');
    // The loops stop pulling, finish the batches in flight and commit them; only then do we
    // leave the group, because a commit after leaving would be refused and the work redone.
    await Promise.allSettled(this.loops);
    await this.subscription?.close();
    await this.labelSubscription?.close();
    if ((this.stateValue as ProcessorState) === 'draining') this.transition('stopped');
  }

  /** Resolves when the processor has stopped or failed. */
  async done(): Promise<void> {
    await Promise.allSettled(this.loops);
  }

  private async transactionLoop(): Promise<void> {
    const maxInFlight = this.options.maxInFlight ?? 4;
    try {
      for (;;) {
        const sub = this.subscription!;
        // Short polls so a stop request is seen promptly; records pulled after it are left
        // uncommitted, and the partition's next owner redoes them.
        let records: ConsumedRecord[] | null;
        try {
          records = await sub.next(POLL_MS);
        } catch (err) {
          // A consumer can die under us, e.g. Kafka's client tears its stream down when a commit
          // meets a rebalance. That is no reason to stop deciding: rejoin the group and go on;
          // whatever was not committed is redelivered, and feature updates are idempotent.
          if (!isFraudError(err) || !err.retryable || this.stopRequested) throw err;
          await this.resubscribe(err);
          continue;
        }
        if (records === null || this.stopRequested) break;
        if (records.length === 0) continue;
        const output = await this.withRetry('decide', () => this.decide(records));
        this.options.metrics?.batchSize.observe(records.length);
        // A batch is produced once the previous batch's output is acknowledged (per-key order),
        // then reported and queued for commit in batch order. The commit itself is not waited
        // for here: Kafka's group coordinator holds each offset write for a few milliseconds
        // (group.coordinator.append.linger.ms, 5 by default), and a window that waited on it
        // kept every batch behind a commit round trip (docs/benchmarks.md, Pipeline).
        const previous = this.inFlight.at(-1) ?? Promise.resolve();
        // A failed produce fails the processor; no later batch is produced after it.
        const produced = this.producedTail.then(() => this.produce(output));
        this.producedTail = produced;
        const flight = Promise.all([produced, previous]).then(([producedAt]) =>
          this.commitAndReport(sub, records, output, producedAt),
        );
        this.inFlight.push(flight);
        flight
          .finally(() => {
            const i = this.inFlight.indexOf(flight);
            if (i >= 0) this.inFlight.splice(i, 1);
          })
          .catch(() => {}); // the loop awaits `flight` itself and handles its failure
        while (this.inFlight.length >= maxInFlight) await this.inFlight[0];
      }
      await Promise.all(this.inFlight);
      await this.commitsSettled();
    } catch (err) {
      this.options.logger?.error({ err }, 'processor failed');
      if (this.stateValue === 'running' || this.stateValue === 'draining') this.transition('failed');
      throw err;
    }
  }

  private async decide(records: readonly ConsumedRecord[]): Promise<BatchOutput> {
    const valid: Transaction[] = [];
    const raw: Uint8Array[] = [];
    const receivedAt: number[] = [];
    const sendTimes: number[] = [];
    const dlq: OutgoingMessage[] = [];
    const now = Date.now();
    for (const r of records) {
      const text = r.value.toString('utf8');
      const parsed = parseTransaction(text);
      if (parsed.ok) {
        valid.push(parsed.transaction);
        // ASCII bytes are spliced as they came; anything else as the text decoded from them, so
        // an invalid UTF-8 sequence the decoder replaced never reaches the enriched record.
        raw.push(isAscii(r.value) ? r.value : Buffer.from(text, 'utf8'));
        receivedAt.push(now);
        sendTimes.push(r.timestamp);
      } else {
        dlq.push(deadLetter(r, parsed.error));
      }
    }
    // The next batch is decided while this one's explanations are computed; `produce` waits for them.
    const { results, explained } = await this.options.engine.decideBatch(valid, receivedAt);
    return { results, explained, raw, dlq, sendTimes };
  }

  /** Produces a batch's output; resolves with the time it was acknowledged. */
  private async produce(out: BatchOutput): Promise<number> {
    const { bus } = this.options;
    await out.explained;
    const enriched: OutgoingMessage[] = [];
    const scores: OutgoingMessage[] = [];
    const alerts: OutgoingMessage[] = [];
    // Produces run one after another, and each returns only once the bus holds its records, so
    // one encoder buffer serves every batch.
    const encoder = this.enrichedEncoder;
    encoder.reset();
    for (let i = 0; i < out.results.length; i++) {
      const r = out.results[i]!;
      const key = r.transaction.card_id;
      enriched.push({ key, value: encoder.encode(out.raw[i]!, r.features, r.score.decided_at) });
      scores.push({ key, value: scoreJson(r.score) });
      if (r.alert) alerts.push({ key, value: alertJson(r.alert) });
    }
    // One write for the four topics: one produce request instead of four.
    let failedAttempt = false;
    try {
      await this.withRetry('produce', () =>
        bus
          .publishAll([
            { topic: TOPICS.enriched, messages: enriched },
            { topic: TOPICS.scores, messages: scores },
            { topic: TOPICS.alerts, messages: alerts },
            { topic: TOPICS.dlq, messages: out.dlq },
          ])
          .catch((err: unknown) => {
            failedAttempt = true;
            throw err;
          }),
      );
    } finally {
      // A failed attempt (e.g. timed out) may still be sending these records: leave them their buffer.
      if (failedAttempt) encoder.detach();
    }
    return Date.now();
  }

  private async commitAndReport(
    sub: Subscription,
    records: readonly ConsumedRecord[],
    out: BatchOutput,
    producedAt: number,
  ): Promise<void> {
    const { metrics } = this.options;
    this.commitLater(sub, records);
    this.processed += out.results.length;
    this.deadLettered += out.dlq.length;
    const endToEndMs = out.sendTimes.map((t) => Math.max(0, producedAt - t));
    if (metrics) {
      metrics.observeDecisions(out.results, 'stream');
      for (const ms of endToEndMs) metrics.endToEnd.observe(ms / 1000);
      for (const m of out.dlq) metrics.dlq.inc({ code: m.headers?.['x-error-code'] ?? 'unknown' });
    }
    if (this.options.graph && out.results.length > 0) {
      await this.options.graph.observe(out.results).catch((err: unknown) => {
        // Graph signals are advisory: a failing graph never stops decisions.
        this.options.logger?.warn({ err }, 'graph observe failed');
      });
    }
    this.options.onBatch?.(out.results, out.dlq.length, endToEndMs);
  }

  /**
   * Queues a produced batch's offsets for commit. One commit request is in flight at a time;
   * batches produced meanwhile wait in `uncommitted` (newest offset per partition) and go in the
   * next request, so commits keep batch order, never pile up, and never hold up decisions.
   */
  private commitLater(sub: Subscription, records: readonly ConsumedRecord[]): void {
    for (const r of records) {
      const key = `${r.topic}:${r.partition}`;
      const newest = this.uncommitted.get(key);
      if (!newest || newest.offset < r.offset) this.uncommitted.set(key, r);
    }
    this.committing ??= this.commitUncommitted(sub);
  }

  private async commitUncommitted(sub: Subscription): Promise<void> {
    try {
      while (this.uncommitted.size > 0) {
        await this.commitPause();
        this.lastCommitAt = Date.now();
        const records = [...this.uncommitted.values()];
        this.uncommitted.clear();
        try {
          await this.withRetry('commit', () => sub.commit(records), 3);
        } catch (err) {
          // Output is produced; only the offsets did not stick (typically a rebalance moved the
          // partitions). The next owner redoes these records: at-least-once, idempotent features.
          this.options.logger?.warn(
            { err, partitions: records.length },
            'commit failed; records will be redelivered',
          );
        }
      }
    } finally {
      this.committing = null;
    }
  }

  /** Waits out the rest of the commit interval, unless the commits are being flushed. */
  private async commitPause(): Promise<void> {
    const wait = this.lastCommitAt + (this.options.commitIntervalMs ?? 100) - Date.now();
    if (wait <= 0 || this.flushCommits) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.commitNow?.(), wait);
      this.commitNow = () => {
        clearTimeout(timer);
        this.commitNow = null;
        resolve();
      };
    });
  }

  /** Resolves once every offset queued so far has been committed (or given up on), at once. */
  private async commitsSettled(): Promise<void> {
    this.flushCommits = true;
    try {
      while (this.committing) {
        this.commitNow?.();
        await this.committing;
      }
    } finally {
      this.flushCommits = false;
    }
  }

  /** Replaces a dead transactions subscription with a new member of the same group. */
  private async resubscribe(cause: unknown): Promise<void> {
    this.options.logger?.warn({ err: cause }, 'consumer failed; rejoining the group');
    // Let in-flight output finish first, so its commits go through the old member or fail harmlessly.
    await Promise.allSettled(this.inFlight);
    await this.commitsSettled();
    await this.subscription?.close().catch(() => {});
    for (let attempt = 1; !this.stopRequested; attempt++) {
      try {
        this.subscription = await this.options.bus.subscribe({
          groupId: this.options.groupId ?? 'fraud-processor',
          topics: [TOPICS.transactions],
          from: this.options.from ?? 'earliest',
          maxBatchSize: this.options.maxBatchSize ?? 500,
        });
        return;
      } catch (err) {
        const delay = Math.min(5_000, 100 * 2 ** Math.min(attempt, 6));
        this.options.logger?.warn({ err, attempt, delay }, 'rejoin failed; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async labelLoop(sub: Subscription): Promise<void> {
    for (;;) {
      const records = await sub.next(POLL_MS).catch(() => null);
      if (records === null || this.stopRequested) return;
      if (records.length === 0) continue;
      const labels: Label[] = [];
      const bad: OutgoingMessage[] = [];
      for (const r of records) {
        try {
          const value: unknown = JSON.parse(r.value.toString('utf8'));
          if (validators.label(value)) labels.push(value as Label);
          else bad.push(deadLetter(r, new FraudError('FRAUD_INPUT_INVALID', 'invalid label')));
        } catch {
          bad.push(deadLetter(r, new FraudError('FRAUD_INPUT_NOT_JSON', 'label is not JSON')));
        }
      }
      await this.withRetry('labels', async () => {
        if (labels.length > 0) await this.options.features.addLabels(labels);
        if (bad.length > 0) await this.options.bus.publish(TOPICS.labelsDlq, bad);
      });
      await sub.commit(records).catch(() => {});
    }
  }

  /**
   * Retries transient failures (retryable FraudErrors: Redis or Kafka unavailable) with capped
   * exponential back-off, forever unless stopping: dropping the batch would lose transactions,
   * and its offsets are not committed yet. Permanent errors propagate and fail the processor.
   */
  private async withRetry<T>(
    what: string,
    fn: () => Promise<T>,
    maxAttempts = Number.POSITIVE_INFINITY,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const retryable = isFraudError(err) ? err.retryable : true;
        if (!retryable || attempt >= maxAttempts || (this.stopRequested && attempt >= 3)) throw err;
        const delay = Math.min(5_000, 50 * 2 ** Math.min(attempt, 7));
        this.options.logger?.warn({ err, attempt, delay }, `${what} failed; retrying`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }
}

interface BatchOutput {
  readonly results: DecisionResult[];
  /** The review and block explanations are on the scores (see `DecisionEngine.decideBatch`). */
  readonly explained: Promise<void>;
  /** The original JSON of each valid transaction (UTF-8), spliced into its enriched record. */
  readonly raw: Uint8Array[];
  readonly dlq: OutgoingMessage[];
  /** Producer send time of each valid record, for end-to-end latency. */
  readonly sendTimes: number[];
}

/** A dead letter keeps the original bytes untouched; the reason travels in headers. */
export function deadLetter(record: ConsumedRecord, error: FraudError): OutgoingMessage {
  return {
    key: record.key,
    value: record.value,
    headers: {
      'x-error-code': error.code,
      'x-error-reason': error.message.slice(0, 1000),
      'x-source-topic': record.topic,
      'x-source-partition': String(record.partition),
      'x-source-offset': String(record.offset),
      'x-failed-at': new Date().toISOString(),
    },
  };
}
