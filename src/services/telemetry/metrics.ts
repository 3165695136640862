import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { DecisionResult } from '../decision-engine/index.ts';

/**
 * The platform's Prometheus metrics. Names are a contract with the Grafana dashboards in
 * `infra/grafana`: volume per minute, pipeline latency, score distribution, alerts and
 * manual review rate (the brief's suggested dashboards).
 */
export class PlatformMetrics {
  readonly registry = new Registry();
  readonly transactions: Counter<'decision' | 'source'>;
  readonly latency: Histogram<'source'>;
  readonly endToEnd: Histogram;
  readonly score: Histogram;
  readonly alerts: Counter<'decision'>;
  readonly dlq: Counter<'code'>;
  readonly batchSize: Histogram;
  readonly ruleHits: Counter<'rule_id' | 'shadow'>;
  readonly processorState: Gauge<'state'>;
  readonly activeVersion: Gauge<'kind' | 'version'>;
  private readonly streamLatency: Histogram.Internal<'source'>;
  private readonly apiLatency: Histogram.Internal<'source'>;
  private readonly scoreChild: Histogram.Internal<string>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'fraud_' });
    this.transactions = new Counter({
      name: 'fraud_transactions_total',
      help: 'Transactions decided, by decision and source (stream|api).',
      labelNames: ['decision', 'source'],
      registers,
    });
    this.latency = new Histogram({
      name: 'fraud_decision_latency_seconds',
      help: 'Time from receipt by the decision engine to decision.',
      labelNames: ['source'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    this.endToEnd = new Histogram({
      name: 'fraud_pipeline_latency_seconds',
      help: 'Time from the producer send timestamp of a `transactions` record to its score being produced.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.score = new Histogram({
      name: 'fraud_score',
      help: 'Distribution of final risk scores.',
      buckets: [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99],
      registers,
    });
    this.alerts = new Counter({
      name: 'fraud_alerts_total',
      help: 'Alerts emitted (every review or block).',
      labelNames: ['decision'],
      registers,
    });
    this.dlq = new Counter({
      name: 'fraud_dlq_total',
      help: 'Records sent to transactions.dlq, by error code.',
      labelNames: ['code'],
      registers,
    });
    this.batchSize = new Histogram({
      name: 'fraud_processor_batch_size',
      help: 'Records per processed batch.',
      buckets: [1, 5, 10, 50, 100, 250, 500, 1000, 2000],
      registers,
    });
    this.ruleHits = new Counter({
      name: 'fraud_rule_hits_total',
      help: 'Rule hits, by rule and whether the rule ran in shadow mode.',
      labelNames: ['rule_id', 'shadow'],
      registers,
    });
    this.processorState = new Gauge({
      name: 'fraud_processor_state',
      help: '1 for the current processor state.',
      labelNames: ['state'],
      registers,
    });
    this.activeVersion = new Gauge({
      name: 'fraud_active_version',
      help: '1 for the active rule set and model versions.',
      labelNames: ['kind', 'version'],
      registers,
    });
    this.streamLatency = this.latency.labels({ source: 'stream' });
    this.apiLatency = this.latency.labels({ source: 'api' });
    this.scoreChild = this.score.labels({});
  }

  /**
   * The hook the processor and the API call once per decided batch. Counters are summed over the
   * batch and incremented once per label set: each `inc` hashes its labels, and per decision that
   * bookkeeping cost more than some features (bench/telemetry/decision-metrics.ts). Histograms
   * keep one observation per decision, through children bound to their labels once.
   */
  observeDecisions(results: readonly DecisionResult[], source: 'stream' | 'api'): void {
    const latency = source === 'stream' ? this.streamLatency : this.apiLatency;
    const decisions = new Map<string, number>();
    const alerts = new Map<string, number>();
    const hits = new Map<string, number>();
    const shadowHits = new Map<string, number>();
    for (const r of results) {
      add(decisions, r.score.decision);
      latency.observe(r.score.latency_ms / 1000);
      this.scoreChild.observe(r.score.score);
      if (r.alert) add(alerts, r.alert.decision);
      for (const h of r.score.rule_hits) add(hits, h.rule_id);
      for (const h of r.score.shadow?.rule_hits ?? []) add(shadowHits, h.rule_id);
    }
    for (const [decision, n] of decisions) this.transactions.inc({ decision, source }, n);
    for (const [decision, n] of alerts) this.alerts.inc({ decision }, n);
    for (const [rule_id, n] of hits) this.ruleHits.inc({ rule_id, shadow: 'false' }, n);
    for (const [rule_id, n] of shadowHits) this.ruleHits.inc({ rule_id, shadow: 'true' }, n);
  }
}

function add(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/**
 * The graph service's Prometheus metrics (`bin/fraud graph-service --http PORT`, `/metrics`),
 * a registry of its own: that process decides nothing, so it exports none of the decision
 * metrics above. Counters mirror `GraphService.stats`; the dashboards' graph row and the
 * `FraudGraph*` alerts name these.
 */
export class GraphServiceMetrics {
  readonly registry = new Registry();
  readonly written: Counter;
  readonly created: Counter;
  readonly batches: Counter;
  readonly labels: Counter;
  readonly rejected: Counter;
  readonly retries: Counter;
  readonly pending: Gauge;
  readonly writeSeconds: Histogram<'outcome'>;
  readonly delay: Histogram;
  readonly lastDelay: Gauge;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'fraud_' });
    this.written = new Counter({
      name: 'fraud_graph_transactions_written_total',
      help: 'Transactions written to the graph, replays included.',
      registers,
    });
    this.created = new Counter({
      name: 'fraud_graph_transactions_created_total',
      help: 'Transactions new to the graph (a replay creates none).',
      registers,
    });
    this.batches = new Counter({
      name: 'fraud_graph_batches_total',
      help: 'Batches written to the graph and committed to Kafka.',
      registers,
    });
    this.labels = new Counter({
      name: 'fraud_graph_labels_total',
      help: 'Labels (confirmed fraud flags) applied to the graph.',
      registers,
    });
    this.rejected = new Counter({
      name: 'fraud_graph_rejected_total',
      help: 'Records that break the contract, dead-lettered to transactions.dlq or labels.dlq.',
      registers,
    });
    this.retries = new Counter({
      name: 'fraud_graph_write_retries_total',
      help: 'Failed graph write attempts; each is retried with back-off, nothing is dropped.',
      registers,
    });
    this.pending = new Gauge({
      name: 'fraud_graph_pending_records',
      help: 'Records pulled from Kafka that wait for the graph (0 when the graph keeps up).',
      registers,
    });
    this.writeSeconds = new Histogram({
      name: 'fraud_graph_write_seconds',
      help: 'One attempt to write one batch to the graph, by outcome (ok|error).',
      labelNames: ['outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.delay = new Histogram({
      name: 'fraud_graph_delay_seconds',
      help: 'Per committed batch: commit time minus the newest Kafka record timestamp in the batch.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    });
    this.lastDelay = new Gauge({
      name: 'fraud_graph_last_delay_seconds',
      help: 'fraud_graph_delay_seconds of the last committed batch; 0 once caught up (a poll finds nothing new and nothing waits).',
      registers,
    });
  }
}
