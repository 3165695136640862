import { describe, expect, it } from 'vitest';
import type { DecisionResult } from '../../../src/services/decision-engine/index.ts';
import { PlatformMetrics } from '../../../src/services/telemetry/metrics.ts';

/** The fields of a decision the metrics read; the rest of a DecisionResult is irrelevant here. */
function decided(
  decision: 'approve' | 'review' | 'block',
  opts: { latencyMs?: number; score?: number; hits?: string[]; shadowHits?: string[] } = {},
): DecisionResult {
  return {
    score: {
      decision,
      latency_ms: opts.latencyMs ?? 2,
      score: opts.score ?? 0.5,
      rule_hits: (opts.hits ?? []).map((rule_id) => ({ rule_id })),
      ...(opts.shadowHits ? { shadow: { rule_hits: opts.shadowHits.map((rule_id) => ({ rule_id })) } } : {}),
    },
    alert: decision === 'approve' ? null : { decision },
  } as unknown as DecisionResult;
}

async function values(metrics: PlatformMetrics, name: string) {
  const all = await metrics.registry.getMetricsAsJSON();
  return all.find((m) => m.name === name)!.values as {
    labels: Record<string, string>;
    value: number;
    metricName?: string;
  }[];
}

async function count(metrics: PlatformMetrics, name: string, labels: Record<string, string>) {
  const v = (await values(metrics, name)).find((x) =>
    Object.entries(labels).every(([k, want]) => x.labels[k] === want),
  );
  return v?.value ?? 0;
}

describe('decision metrics (observeDecisions, once per decided batch)', () => {
  it('counts every decision, alert and rule hit of the batch under its labels', async () => {
    const metrics = new PlatformMetrics({ defaultMetrics: false });
    metrics.observeDecisions(
      [
        decided('approve'),
        decided('approve'),
        decided('review', { hits: ['velocity_card_1h'] }),
        decided('block', { hits: ['velocity_card_1h', 'denylist'], shadowHits: ['new_rule'] }),
        decided('block', { hits: ['denylist'] }),
      ],
      'stream',
    );
    metrics.observeDecisions([decided('approve'), decided('review', { shadowHits: ['new_rule'] })], 'api');

    expect(await count(metrics, 'fraud_transactions_total', { decision: 'approve', source: 'stream' })).toBe(
      2,
    );
    expect(await count(metrics, 'fraud_transactions_total', { decision: 'review', source: 'stream' })).toBe(
      1,
    );
    expect(await count(metrics, 'fraud_transactions_total', { decision: 'block', source: 'stream' })).toBe(2);
    expect(await count(metrics, 'fraud_transactions_total', { decision: 'approve', source: 'api' })).toBe(1);
    expect(await count(metrics, 'fraud_transactions_total', { decision: 'review', source: 'api' })).toBe(1);
    expect(await count(metrics, 'fraud_alerts_total', { decision: 'review' })).toBe(2);
    expect(await count(metrics, 'fraud_alerts_total', { decision: 'block' })).toBe(2);
    expect(
      await count(metrics, 'fraud_rule_hits_total', { rule_id: 'velocity_card_1h', shadow: 'false' }),
    ).toBe(2);
    expect(await count(metrics, 'fraud_rule_hits_total', { rule_id: 'denylist', shadow: 'false' })).toBe(2);
    expect(await count(metrics, 'fraud_rule_hits_total', { rule_id: 'new_rule', shadow: 'true' })).toBe(2);
    expect(await count(metrics, 'fraud_rule_hits_total', { rule_id: 'new_rule', shadow: 'false' })).toBe(0);
  });

  it('observes one latency per decision, in seconds and by source, and one score per decision', async () => {
    const metrics = new PlatformMetrics({ defaultMetrics: false });
    metrics.observeDecisions(
      [decided('approve', { latencyMs: 0.2, score: 0.02 }), decided('block', { latencyMs: 30, score: 0.97 })],
      'stream',
    );
    metrics.observeDecisions([decided('approve', { latencyMs: 3, score: 0.4 })], 'api');

    const latency = await values(metrics, 'fraud_decision_latency_seconds');
    const of = (metricName: string, labels: Record<string, string>) =>
      latency.find(
        (v) =>
          v.metricName === metricName &&
          Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
      )!.value;
    expect(of('fraud_decision_latency_seconds_count', { source: 'stream' })).toBe(2);
    expect(of('fraud_decision_latency_seconds_sum', { source: 'stream' })).toBeCloseTo(0.0302, 10);
    expect(of('fraud_decision_latency_seconds_bucket', { source: 'stream', le: '0.00025' })).toBe(1);
    expect(of('fraud_decision_latency_seconds_bucket', { source: 'stream', le: '0.05' })).toBe(2);
    expect(of('fraud_decision_latency_seconds_count', { source: 'api' })).toBe(1);

    const score = await values(metrics, 'fraud_score');
    const scoreOf = (metricName: string, le?: string) =>
      score.find((v) => v.metricName === metricName && (le === undefined || String(v.labels['le']) === le))!
        .value;
    expect(scoreOf('fraud_score_count')).toBe(3);
    expect(scoreOf('fraud_score_sum')).toBeCloseTo(1.39, 10);
    expect(scoreOf('fraud_score_bucket', '0.05')).toBe(1);
    expect(scoreOf('fraud_score_bucket', '0.95')).toBe(2);
    expect(scoreOf('fraud_score_bucket', '0.99')).toBe(3);
  });

  it('leaves every counter untouched for an empty batch', async () => {
    const metrics = new PlatformMetrics({ defaultMetrics: false });
    metrics.observeDecisions([], 'stream');
    expect(await values(metrics, 'fraud_transactions_total')).toEqual([]);
    expect(await values(metrics, 'fraud_rule_hits_total')).toEqual([]);
  });
});
