/**
 * Generates the Grafana dashboards in `infra/grafana/dashboards/` from the metric names in
 * `src/services/telemetry/metrics.ts`, so panels and metrics change together. Run:
 *   node infra/grafana/generate-dashboards.ts
 * The brief's dashboards: transactions per minute, pipeline latency, score distribution,
 * alerts and manual review rate; plus decision mix, consumer lag, DLQ and rule hits.
 */
import { writeFileSync } from 'node:fs';

const DS = { type: 'prometheus', uid: 'prometheus' };
let nextId = 1;

interface Target {
  expr: string;
  legend: string;
  format?: 'time_series' | 'heatmap' | 'table';
  instant?: boolean;
}

function target(t: Target, i: number) {
  return {
    datasource: DS,
    expr: t.expr,
    legendFormat: t.legend,
    refId: String.fromCharCode(65 + i),
    format: t.format ?? 'time_series',
    instant: t.instant ?? false,
    range: !(t.instant ?? false),
  };
}

function panel(
  type: string,
  title: string,
  description: string,
  grid: { x: number; y: number; w: number; h: number },
  targets: Target[],
  extra: {
    unit?: string;
    stack?: boolean;
    options?: Record<string, unknown>;
    fieldConfig?: Record<string, unknown>;
  } = {},
) {
  return {
    id: nextId++,
    type,
    title,
    description,
    datasource: DS,
    gridPos: grid,
    targets: targets.map(target),
    fieldConfig: {
      defaults: {
        unit: extra.unit ?? 'short',
        ...(type === 'timeseries'
          ? {
              custom: {
                drawStyle: 'line',
                lineWidth: 1,
                fillOpacity: extra.stack ? 60 : 10,
                stacking: { mode: extra.stack ? 'normal' : 'none' },
              },
            }
          : {}),
        ...extra.fieldConfig,
      },
      overrides: [],
    },
    options: {
      legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
      tooltip: { mode: 'multi' },
      ...extra.options,
    },
  };
}

const row = (title: string, y: number) => ({
  id: nextId++,
  type: 'row',
  title,
  collapsed: false,
  gridPos: { x: 0, y, w: 24, h: 1 },
  panels: [],
});

const q = (quantile: number, metric: string, sel = '') =>
  `histogram_quantile(${quantile}, sum by (le) (rate(${metric}_bucket${sel}[$__rate_interval])))`;

const overview = {
  uid: 'fraud-overview',
  title: 'Fraud platform — overview',
  tags: ['fraud'],
  timezone: 'utc',
  schemaVersion: 39,
  version: 1,
  editable: false,
  refresh: '10s',
  time: { from: 'now-1h', to: 'now' },
  templating: { list: [] },
  annotations: { list: [] },
  panels: [
    row('Volume and decisions', 0),
    panel(
      'stat',
      'Transactions / min',
      'All decided transactions (stream and API) per minute.',
      { x: 0, y: 1, w: 4, h: 5 },
      [{ expr: 'sum(rate(fraud_transactions_total[$__rate_interval])) * 60', legend: 'tx/min' }],
      { unit: 'short', options: { reduceOptions: { calcs: ['lastNotNull'] }, graphMode: 'area' } },
    ),
    panel(
      'stat',
      'Manual review rate',
      'Share of decisions that go to an analyst (review).',
      { x: 4, y: 1, w: 4, h: 5 },
      [
        {
          expr: 'sum(rate(fraud_transactions_total{decision="review"}[$__rate_interval])) / clamp_min(sum(rate(fraud_transactions_total[$__rate_interval])), 1e-9)',
          legend: 'review',
        },
      ],
      { unit: 'percentunit', options: { reduceOptions: { calcs: ['lastNotNull'] }, graphMode: 'area' } },
    ),
    panel(
      'stat',
      'Block rate',
      'Share of decisions that block the transaction.',
      { x: 8, y: 1, w: 4, h: 5 },
      [
        {
          expr: 'sum(rate(fraud_transactions_total{decision="block"}[$__rate_interval])) / clamp_min(sum(rate(fraud_transactions_total[$__rate_interval])), 1e-9)',
          legend: 'block',
        },
      ],
      { unit: 'percentunit', options: { reduceOptions: { calcs: ['lastNotNull'] }, graphMode: 'area' } },
    ),
    panel(
      'timeseries',
      'Transactions per minute',
      'By source: stream (Kafka processor) and api (POST /v1/decisions).',
      { x: 12, y: 1, w: 12, h: 8 },
      [
        {
          expr: 'sum by (source) (rate(fraud_transactions_total[$__rate_interval])) * 60',
          legend: '{{source}}',
        },
      ],
      { unit: 'short', stack: true },
    ),
    panel(
      'timeseries',
      'Decision mix',
      'Approve / review / block per second.',
      { x: 0, y: 6, w: 12, h: 8 },
      [
        {
          expr: 'sum by (decision) (rate(fraud_transactions_total[$__rate_interval]))',
          legend: '{{decision}}',
        },
      ],
      { unit: 'reqps', stack: true },
    ),
    panel(
      'timeseries',
      'Alerts and manual review rate',
      'Alerts emitted per minute (every review or block) and the review share.',
      { x: 12, y: 9, w: 12, h: 8 },
      [
        {
          expr: 'sum by (decision) (rate(fraud_alerts_total[$__rate_interval])) * 60',
          legend: 'alerts/min {{decision}}',
        },
        {
          expr: '100 * sum(rate(fraud_transactions_total{decision="review"}[$__rate_interval])) / clamp_min(sum(rate(fraud_transactions_total[$__rate_interval])), 1e-9)',
          legend: 'review %',
        },
      ],
      { unit: 'short' },
    ),
    row('Latency', 17),
    panel(
      'timeseries',
      'Pipeline latency (Kafka, end to end)',
      'Producer send time of the transactions record to score produced: p50 / p95 / p99.',
      { x: 0, y: 18, w: 12, h: 8 },
      [
        { expr: q(0.5, 'fraud_pipeline_latency_seconds'), legend: 'p50' },
        { expr: q(0.95, 'fraud_pipeline_latency_seconds'), legend: 'p95' },
        { expr: q(0.99, 'fraud_pipeline_latency_seconds'), legend: 'p99' },
      ],
      { unit: 's' },
    ),
    panel(
      'timeseries',
      'Decision latency (engine)',
      'Receipt by the decision engine to decision, by source: p50 / p95 / p99.',
      { x: 12, y: 18, w: 12, h: 8 },
      [
        {
          expr: `histogram_quantile(0.5, sum by (le, source) (rate(fraud_decision_latency_seconds_bucket[$__rate_interval])))`,
          legend: 'p50 {{source}}',
        },
        {
          expr: `histogram_quantile(0.95, sum by (le, source) (rate(fraud_decision_latency_seconds_bucket[$__rate_interval])))`,
          legend: 'p95 {{source}}',
        },
        {
          expr: `histogram_quantile(0.99, sum by (le, source) (rate(fraud_decision_latency_seconds_bucket[$__rate_interval])))`,
          legend: 'p99 {{source}}',
        },
      ],
      { unit: 's' },
    ),
    row('Scores and rules', 26),
    panel(
      'heatmap',
      'Score distribution',
      'Final risk scores per bucket over time.',
      { x: 0, y: 27, w: 12, h: 8 },
      [
        {
          expr: 'sum by (le) (increase(fraud_score_bucket[$__rate_interval]))',
          legend: '{{le}}',
          format: 'heatmap',
        },
      ],
      {
        options: {
          calculate: false,
          yAxis: { unit: 'short' },
          cellGap: 1,
          color: { mode: 'scheme', scheme: 'Oranges' },
        },
      },
    ),
    panel(
      'bargauge',
      'Score histogram (selected range)',
      'Decisions per score bucket over the dashboard range.',
      { x: 12, y: 27, w: 12, h: 8 },
      [
        {
          expr: 'sum by (le) (increase(fraud_score_bucket[$__range]))',
          legend: '{{le}}',
          format: 'heatmap',
          instant: true,
        },
      ],
      { options: { orientation: 'vertical', displayMode: 'basic' } },
    ),
    panel(
      'timeseries',
      'Top rule hits',
      'Ten most frequent live rules (shadow rules excluded).',
      { x: 0, y: 35, w: 12, h: 8 },
      [
        {
          expr: 'topk(10, sum by (rule_id) (rate(fraud_rule_hits_total{shadow="false"}[$__rate_interval])))',
          legend: '{{rule_id}}',
        },
      ],
      { unit: 'reqps' },
    ),
    panel(
      'table',
      'Active rule set and model',
      'Versions currently serving decisions.',
      { x: 12, y: 35, w: 12, h: 8 },
      [
        {
          expr: 'max by (kind, version, instance) (fraud_active_version) == 1',
          legend: '',
          format: 'table',
          instant: true,
        },
      ],
    ),
    row('Stream health', 43),
    panel(
      'timeseries',
      'Consumer lag',
      'Records behind the log end, per consumer group and topic (kafka-exporter).',
      { x: 0, y: 44, w: 12, h: 8 },
      [
        {
          expr: 'sum by (consumergroup, topic) (kafka_consumergroup_lag)',
          legend: '{{consumergroup}} / {{topic}}',
        },
      ],
      { unit: 'short' },
    ),
    panel(
      'timeseries',
      'Dead-lettered input',
      'Records sent to transactions.dlq per second, by error code.',
      { x: 12, y: 44, w: 12, h: 8 },
      [{ expr: 'sum by (code) (rate(fraud_dlq_total[$__rate_interval]))', legend: '{{code}}' }],
      { unit: 'reqps' },
    ),
    panel(
      'timeseries',
      'Processor batch size',
      'Records per processed batch (p50 / p99): larger under load.',
      { x: 0, y: 52, w: 8, h: 7 },
      [
        { expr: q(0.5, 'fraud_processor_batch_size'), legend: 'p50' },
        { expr: q(0.99, 'fraud_processor_batch_size'), legend: 'p99' },
      ],
    ),
    panel(
      'state-timeline',
      'Processor state',
      'Per instance: idle, starting, running, draining, stopped, failed.',
      { x: 8, y: 52, w: 8, h: 7 },
      [{ expr: 'max by (instance, state) (fraud_processor_state) == 1', legend: '{{instance}} {{state}}' }],
    ),
    panel(
      'timeseries',
      'Event loop lag p99 and memory',
      'Node.js runtime health per instance.',
      { x: 16, y: 52, w: 8, h: 7 },
      [
        {
          expr: 'max by (instance) (fraud_nodejs_eventloop_lag_p99_seconds)',
          legend: 'loop p99 {{instance}}',
        },
      ],
      { unit: 's' },
    ),
  ],
};

// Written twice: for docker compose (mounted) and inside the Helm chart (.Files cannot reach outside it).
for (const path of [
  './dashboards/fraud-overview.json',
  '../helm/fraud-platform/files/dashboards/fraud-overview.json',
]) {
  const out = new URL(path, import.meta.url);
  writeFileSync(out, `${JSON.stringify(overview, null, 2)}\n`);
  process.stderr.write(`wrote ${out.pathname} (${overview.panels.length} panels)\n`);
}
process.stderr.write(
  'then: npx biome format --write infra/grafana/dashboards infra/helm/fraud-platform/files\n',
);
