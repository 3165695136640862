/**
 * The graph service (`bin/fraud graph-service`), issue #6 item 2:
 *
 *   "It consumes `enriched-transactions` as a consumer group and writes in batches
 *    (`UNWIND … MERGE`), idempotently, so that a replay creates no duplicates. When Neo4j is
 *    slow or down it buffers, retries and backs off, and it never drops a record."
 *
 * At-least-once by construction: a batch's offsets are committed only after the graph write
 * succeeded, and the write is idempotent per transaction id, so a crash or a rebalance
 * replays at most the uncommitted batch with no double counting. While the graph is down the
 * service stops pulling (Kafka keeps the backlog: that is the buffer, bounded by topic
 * retention, not by this process's memory) and retries the same batch with capped exponential
 * back-off and jitter until it lands. It also consumes `labels` (confirmed fraud flags the
 * graph) and can run the ring analysis on a schedule.
 */

import type { EnrichedTransaction, Label, Transaction } from '../../core/contracts/index.ts';
import { TOPICS, validators } from '../../core/contracts/index.ts';
import { quickAcceptEnriched } from '../../core/contracts/quick-check.ts';
import type { AnalysisResult, GraphBackend } from '../../core/graph/index.ts';
import type { ConsumedRecord, EventBus, Subscription } from '../../ports/event-bus.ts';
import type { GraphServiceMetrics } from '../telemetry/metrics.ts';

export interface GraphServiceLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface GraphServiceOptions {
  readonly bus: EventBus;
  readonly backend: GraphBackend;
  /** Consumer group. Default `graph-service`. */
  readonly groupId?: string;
  /** Records per batch (one Neo4j transaction). Default 1000. */
  readonly batchSize?: number;
  /**
   * Batches written at once. Default 2: the next batch's statements run while the previous
   * one commits (measured +15 % new, +30 % replay on Neo4j; docs/benchmarks.md). Offsets are
   * still committed in order, each only after its batch and every earlier one are written.
   * 1 = strictly one batch at a time.
   */
  readonly inFlight?: number;
  /** Where a new group starts. Default `earliest` (the graph wants the whole history). */
  readonly from?: 'earliest' | 'latest';
  /** Run `analyze()` every this many ms; 0 = never. Default 0. */
  readonly analyzeEveryMs?: number;
  /** First retry delay, ms. Default 200. */
  readonly retryBaseMs?: number;
  /** Longest retry delay, ms. Default 10 000. */
  readonly retryMaxMs?: number;
  readonly logger?: GraphServiceLogger;
  /** Prometheus metrics, kept in step with `stats` (the CLI serves them on `--http`'s `/metrics`). */
  readonly metrics?: GraphServiceMetrics;
}

/**
 * `idle` → `starting` → `running` → `stopping` → `stopped`; a loop that ends on its own (the
 * subscription closed under it) also goes to `stopped`. Only `running` consumes.
 */
export type GraphServiceState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

export interface GraphServiceStats {
  /** Batches written and committed. */
  batches: number;
  /** Transactions written (replays included). */
  written: number;
  /** Transactions new to the graph. */
  created: number;
  labels: number;
  /** Records that fail the contract: dead-lettered with their original bytes (transactions.dlq, labels.dlq), then committed. */
  rejected: number;
  /** Failed write attempts (each retried). */
  retries: number;
  /** Records of the batch currently waiting for the graph (0 when healthy). */
  pending: number;
  /**
   * How far behind the graph is, ms: at each commit, commit time minus the newest Kafka record
   * timestamp in the batch; 0 once it has caught up (a poll finds nothing new and nothing waits
   * for the graph). Null until a batch with timestamps commits.
   */
  lastDelayMs: number | null;
  lastError: string | null;
  lastAnalysis: { at: string; rings: number; tookMs: number } | null;
}

/** Longest wait for records before the loop checks whether it is stopping, ms. */
const STOP_CHECK_MS = 250;

const silent: GraphServiceLogger = { info() {}, warn() {}, error() {} };

export class GraphService {
  readonly stats: GraphServiceStats = {
    batches: 0,
    written: 0,
    created: 0,
    labels: 0,
    rejected: 0,
    retries: 0,
    pending: 0,
    lastDelayMs: null,
    lastError: null,
    lastAnalysis: null,
  };
  private subscription: Subscription | null = null;
  private running = false;
  private stateValue: GraphServiceState = 'idle';
  private loop: Promise<void> | null = null;
  private analyzeTimer: NodeJS.Timeout | undefined;
  private analyzing: Promise<AnalysisResult | null> | null = null;
  /** Wakes the batches sleeping between retries (one per batch in flight), for stop(). */
  private readonly wakers = new Set<() => void>();
  private readonly o: Required<Omit<GraphServiceOptions, 'logger' | 'metrics'>> & {
    logger: GraphServiceLogger;
  };
  private readonly metrics: GraphServiceMetrics | undefined;

  constructor(options: GraphServiceOptions) {
    this.o = {
      groupId: 'graph-service',
      batchSize: 1000,
      inFlight: 2,
      from: 'earliest',
      analyzeEveryMs: 0,
      retryBaseMs: 200,
      retryMaxMs: 10_000,
      ...options,
      logger: options.logger ?? silent,
    };
    this.metrics = options.metrics;
  }

  get state(): GraphServiceState {
    return this.stateValue;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.stateValue = 'starting';
    try {
      this.subscription = await this.o.bus.subscribe({
        groupId: this.o.groupId,
        topics: [TOPICS.enriched, TOPICS.labels],
        from: this.o.from,
        maxBatchSize: this.o.batchSize,
      });
    } catch (err) {
      this.running = false;
      this.stateValue = 'idle';
      throw err;
    }
    if (!this.running) {
      // stop() came while subscribing: it had no subscription to close yet.
      await this.subscription.close();
      return;
    }
    this.stateValue = 'running';
    this.loop = this.run().finally(() => {
      if (this.stateValue === 'running') {
        this.stateValue = 'stopped';
        this.o.logger.error({}, 'graph service consumer loop ended without stop()');
      }
    });
    if (this.o.analyzeEveryMs > 0) {
      this.analyzeTimer = setInterval(() => void this.analyzeNow(), this.o.analyzeEveryMs);
      this.analyzeTimer.unref();
    }
  }

  /** Runs the ring analysis unless one is already running; errors are logged, never thrown. */
  analyzeNow(): Promise<AnalysisResult | null> {
    this.analyzing ??= this.o.backend
      .analyze()
      .then((r) => {
        this.stats.lastAnalysis = { at: new Date().toISOString(), rings: r.rings.length, tookMs: r.tookMs };
        this.o.logger.info(
          { rings: r.rings.length, components: r.components, tookMs: r.tookMs },
          'graph analysis done',
        );
        return r;
      })
      .catch((err: unknown) => {
        this.o.logger.warn({ err }, 'graph analysis failed; next run retries');
        return null;
      })
      .finally(() => {
        this.analyzing = null;
      });
    return this.analyzing;
  }

  private async run(): Promise<void> {
    const sub = this.subscription as Subscription;
    // Each batch settles after every batch before it (a chain): its offsets are committed only
    // once it and all earlier batches are in the graph, so a crash replays at most what is in
    // flight. A batch that could not be written (stopping) leaves it and later ones uncommitted.
    let chain: Promise<boolean> = Promise.resolve(true);
    const inFlight: Promise<boolean>[] = [];
    let healthy = true;
    while (this.running && healthy) {
      // Bounded wait, so a stop() is noticed while the topic is idle: the subscription must stay
      // open until the batches in flight are committed (a commit on a closed Kafka consumer
      // never settles, which hung the shutdown of a busy service).
      const records = await sub.next(STOP_CHECK_MS);
      if (records === null) break;
      if (records.length === 0) {
        // Nothing new and nothing waiting: caught up. Without this the last batch's delay would
        // stand for as long as the topic is idle (after a backlog, an hour that is long gone).
        if (this.stats.pending === 0 && this.stats.lastDelayMs) {
          this.stats.lastDelayMs = 0;
          this.metrics?.lastDelay.set(0);
        }
        continue;
      }
      const { transactions, labels, rejected } = this.parse(records);
      if (rejected.length > 0) await this.deadLetter(rejected);
      const size = transactions.length + labels.length;
      this.setPending(this.stats.pending + size);
      let newest = 0;
      for (const r of records) if (r.timestamp > newest) newest = r.timestamp;
      const written = this.writeWithRetry(transactions, labels);
      chain = chain.then(async (earlierOk) => {
        const ok = await written;
        this.setPending(this.stats.pending - size);
        if (!earlierOk || !ok) return false;
        await sub.commit(records);
        this.stats.batches++;
        this.metrics?.batches.inc();
        // Kafka's record timestamp (the producer's send time, or the broker's append time on a
        // LogAppendTime topic); 0 or -1 means the record has none.
        if (newest > 0) {
          const delayMs = Math.max(0, Date.now() - newest);
          this.stats.lastDelayMs = delayMs;
          this.metrics?.delay.observe(delayMs / 1000);
          this.metrics?.lastDelay.set(delayMs / 1000);
        }
        return true;
      });
      chain.catch(() => {}); // awaited below; this only keeps Node from flagging it early
      inFlight.push(chain);
      while (inFlight.length >= Math.max(1, this.o.inFlight)) {
        if (!(await inFlight.shift())) healthy = false;
      }
    }
    // Stopping or closed: finish (or abandon, uncommitted) what is in flight.
    await chain;
  }

  private parse(records: readonly ConsumedRecord[]) {
    const transactions: Transaction[] = [];
    const labels: Label[] = [];
    const rejected: { record: ConsumedRecord; reason: string }[] = [];
    for (const record of records) {
      let value: unknown;
      try {
        value = JSON.parse(record.value.toString('utf8'));
      } catch (err) {
        rejected.push({ record, reason: `not JSON: ${(err as Error).message}` });
        continue;
      }
      if (record.topic === TOPICS.labels) {
        if (validators.label(value)) labels.push(value as Label);
        else
          rejected.push({
            record,
            reason: `invalid label: ${validators.label.errors?.[0]?.message ?? 'invalid'}`,
          });
      } else if (quickAcceptEnriched(value) || validators.enriched(value)) {
        // The quick check accepts only what the contract accepts; the rest gets the verdict.
        transactions.push((value as EnrichedTransaction).transaction);
      } else {
        rejected.push({
          record,
          reason: `invalid enriched transaction: ${validators.enriched.errors?.[0]?.message ?? 'invalid'}`,
        });
      }
    }
    return { transactions, labels, rejected };
  }

  /** Bad records keep their original bytes on the dead-letter topic, with the reason. */
  private async deadLetter(rejected: { record: ConsumedRecord; reason: string }[]): Promise<void> {
    this.stats.rejected += rejected.length;
    this.metrics?.rejected.inc(rejected.length);
    for (const r of rejected)
      this.o.logger.warn(
        { topic: r.record.topic, offset: String(r.record.offset), reason: r.reason },
        'graph record rejected',
      );
    // Bad labels go where the processor sends them (labels.dlq), the rest to transactions.dlq.
    for (const topic of [TOPICS.dlq, TOPICS.labelsDlq]) {
      const mine = rejected.filter(
        (r) => (r.record.topic === TOPICS.labels) === (topic === TOPICS.labelsDlq),
      );
      if (mine.length === 0) continue;
      await this.o.bus.publish(
        topic,
        mine.map((r) => ({
          key: r.record.key,
          value: r.record.value,
          headers: {
            ...r.record.headers,
            'x-error': r.reason,
            'x-source-topic': r.record.topic,
            'x-source-offset': `${r.record.partition}:${r.record.offset}`,
            'x-rejected-by': 'graph-service',
          },
        })),
      );
    }
  }

  /** Retries the same batch until it is written or the service stops; never drops it. */
  private async writeWithRetry(transactions: Transaction[], labels: Label[]): Promise<boolean> {
    const m = this.metrics;
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      try {
        if (transactions.length > 0) {
          const r = await this.o.backend.write(transactions);
          this.stats.written += r.rows;
          this.stats.created += r.created;
          m?.written.inc(r.rows);
          m?.created.inc(r.created);
        }
        if (labels.length > 0) {
          await this.o.backend.applyLabels(labels);
          this.stats.labels += labels.length;
          m?.labels.inc(labels.length);
        }
        if (transactions.length + labels.length > 0)
          m?.writeSeconds.observe({ outcome: 'ok' }, (performance.now() - started) / 1000);
        if (attempt > 0) this.o.logger.info({ attempts: attempt + 1 }, 'graph write recovered');
        this.stats.lastError = null;
        return true;
      } catch (err) {
        m?.writeSeconds.observe({ outcome: 'error' }, (performance.now() - started) / 1000);
        this.stats.retries++;
        m?.retries.inc();
        this.stats.lastError = (err as Error).message;
        const delay = Math.min(this.o.retryMaxMs, this.o.retryBaseMs * 2 ** Math.min(attempt, 20));
        const jittered = Math.round(delay / 2 + Math.random() * (delay / 2));
        this.o.logger.warn(
          {
            err: (err as Error).message,
            attempt: attempt + 1,
            retryInMs: jittered,
            pending: transactions.length + labels.length,
          },
          'graph write failed; retrying',
        );
        if (!this.running) return false;
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(t);
            this.wakers.delete(wake);
            resolve();
          };
          const t = setTimeout(wake, jittered);
          this.wakers.add(wake);
        });
        if (!this.running) return false;
      }
    }
  }

  private setPending(n: number): void {
    this.stats.pending = n;
    this.metrics?.pending.set(n);
  }

  /**
   * Stops pulling, finishes (written and committed) or abandons (uncommitted: a batch still
   * retrying) the batches in flight, then leaves the group. In that order: the offsets of a
   * finished batch are committed through the subscription, so it closes last.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stateValue = 'stopping';
    if (this.analyzeTimer) clearInterval(this.analyzeTimer);
    for (const wake of [...this.wakers]) wake();
    await this.loop?.catch(() => {});
    await this.subscription?.close();
    await this.analyzing;
    this.stateValue = 'stopped';
  }
}
