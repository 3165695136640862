import type { IngestBatch, NewAlertEvent, PgStore } from '../../adapters/store-postgres/index.ts';
import {
  type Alert,
  type EnrichedTransaction,
  type Label,
  type Score,
  TOPICS,
  validators,
} from '../../core/contracts/index.ts';
import type { ConsumedRecord, EventBus, Subscription } from '../../ports/index.ts';

export interface StoreIngestionOptions {
  readonly store: PgStore;
  readonly bus: EventBus;
  /** Consumer group. Default `console-store`: one group, so each record is written once across instances. */
  readonly groupId?: string;
  /** Where a new group starts. Default `earliest` (writes are idempotent, replay is safe). */
  readonly from?: 'earliest' | 'latest';
  /** Records per database transaction. Default 500. */
  readonly maxBatchSize?: number;
  /** How often unpublished labels (the outbox) are retried, in ms. Default 5,000. */
  readonly labelFlushMs?: number;
  /** Called for each alert that opened or joined a case. */
  readonly onAlerts?: (alerts: readonly NewAlertEvent[]) => void;
  readonly log?: (message: string) => void;
}

export interface IngestionCounters {
  batches: number;
  records: number;
  invalid: number;
  alerts: number;
  labelsPublished: number;
  retries: number;
  lastError: string | null;
}

/**
 * Publishes every pending label (verdicts) to the `labels` topic, keyed by card like every
 * other topic; each is checked against the Label contract first.
 */
export function labelPublisher(bus: EventBus) {
  return async (labels: readonly { key: string | null; label: unknown }[]) => {
    for (const l of labels) {
      if (!validators.label(l.label))
        throw new Error(`label breaks the contract: ${JSON.stringify(validators.label.errors)}`);
    }
    await bus.publish(
      TOPICS.labels,
      labels.map((l) => ({ key: l.key, value: JSON.stringify(l.label) })),
    );
  };
}

/**
 * The store's stream consumer: `enriched-transactions` (transaction + feature snapshot),
 * `scores` (decision, explanation, rule hits), `alerts` (open or join cases) and `labels`
 * (ground truth from any source, for rule precision and the case view), written in
 * batches of one database transaction each, then committed (at-least-once; the store's
 * writes are idempotent per transaction_id, so a redelivery changes nothing).
 */
export class StoreIngestion {
  readonly counters: IngestionCounters = {
    batches: 0,
    records: 0,
    invalid: 0,
    alerts: 0,
    labelsPublished: 0,
    retries: 0,
    lastError: null,
  };
  readonly #o: StoreIngestionOptions;
  #sub: Subscription | null = null;
  #loop: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #stopping = false;
  #flushing: Promise<void> | null = null;
  #flushAgain: Promise<void> | null = null;

  constructor(options: StoreIngestionOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    this.#sub = await this.#o.bus.subscribe({
      groupId: this.#o.groupId ?? 'console-store',
      topics: [TOPICS.enriched, TOPICS.scores, TOPICS.alerts, TOPICS.labels],
      from: this.#o.from ?? 'earliest',
      maxBatchSize: this.#o.maxBatchSize ?? 500,
    });
    this.#loop = this.#run();
    this.#timer = setInterval(() => void this.flushLabels(), this.#o.labelFlushMs ?? 5_000);
    this.#timer.unref();
  }

  /**
   * Publishes pending labels now (also called right after each verdict). A flush already in
   * flight may have read the outbox before the caller's label was committed, so a call made
   * during one waits for it and then for one more pass (shared by every caller in between).
   */
  flushLabels(): Promise<void> {
    if (this.#flushing) {
      this.#flushAgain ??= this.#flushing.then(() => {
        this.#flushAgain = null;
        return this.flushLabels();
      });
      return this.#flushAgain;
    }
    this.#flushing = (async () => {
      try {
        for (;;) {
          const n = await this.#o.store.publishPendingLabels(labelPublisher(this.#o.bus));
          this.counters.labelsPublished += n;
          if (n < 500) break;
        }
      } catch (err) {
        this.counters.lastError = `labels: ${(err as Error).message}`;
        this.#o.log?.(`label outbox: ${(err as Error).message} (retrying)`);
      } finally {
        this.#flushing = null;
      }
    })();
    return this.#flushing;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#sub?.close();
    await this.#loop;
    await this.#flushing;
    await this.#flushAgain;
  }

  async #run(): Promise<void> {
    const sub = this.#sub!;
    for (;;) {
      const records = await sub.next();
      if (records === null) return;
      if (records.length === 0) continue;
      const batch = this.#decode(records);
      for (let attempt = 0; ; attempt++) {
        try {
          const r = await this.#o.store.ingest(batch);
          this.counters.batches++;
          this.counters.records += records.length;
          this.counters.alerts += r.alerts.length;
          if (r.alerts.length) this.#o.onAlerts?.(r.alerts);
          break;
        } catch (err) {
          // The database is down or busy: keep the batch, back off, retry. Not committing means
          // a restart re-reads it, so nothing is lost either way.
          if (this.#stopping) return;
          this.counters.retries++;
          this.counters.lastError = (err as Error).message;
          this.#o.log?.(`store write failed (attempt ${attempt + 1}): ${(err as Error).message}`);
          await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** attempt)));
        }
      }
      await sub.commit(records);
    }
  }

  /**
   * Parses and validates each record against its topic's contract. Records on these topics are
   * produced by the platform itself, so a bad one is a bug upstream: it is counted and logged
   * (topic, partition, offset) and skipped, and the rest of the batch is kept.
   */
  #decode(records: readonly ConsumedRecord[]): IngestBatch {
    const transactions: EnrichedTransaction[] = [];
    const decisions: Score[] = [];
    const alerts: Alert[] = [];
    const labels: { key: string | null; label: Label }[] = [];
    for (const r of records) {
      let v: unknown;
      try {
        v = JSON.parse(r.value.toString('utf8'));
      } catch {
        v = undefined;
      }
      let ok = false;
      if (r.topic === TOPICS.enriched && validators.enriched(v)) {
        transactions.push(v as EnrichedTransaction);
        ok = true;
      } else if (r.topic === TOPICS.scores && validators.score(v)) {
        decisions.push(v as Score);
        ok = true;
      } else if (r.topic === TOPICS.alerts && validators.alert(v)) {
        alerts.push(v as Alert);
        ok = true;
      } else if (r.topic === TOPICS.labels && validators.label(v)) {
        labels.push({ key: r.key, label: v as Label });
        ok = true;
      }
      if (!ok) {
        this.counters.invalid++;
        this.#o.log?.(
          `skipped a record that breaks the ${r.topic} contract at partition ${r.partition} offset ${r.offset}`,
        );
      }
    }
    return { transactions, decisions, alerts, labels };
  }
}
