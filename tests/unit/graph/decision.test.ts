/**
 * Acceptance (issue #6): once a ring is visible in the graph, the decisions on its
 * transactions carry `high_risk_graph_pattern`, with the shipped rule set (rules/default.yaml)
 * and the in-process graph signals, decided in stream order exactly as the processor does it
 * (signalsFor before the decision, observe after it).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemoryGraph } from '../../../src/adapters/graph-memory/index.ts';
import { policyCompiler } from '../../../src/core/decision/index.ts';
import { FEATURE_NAMES } from '../../../src/core/features/index.ts';
import { GRAPH_REASON, GRAPH_SIGNAL_NAMES } from '../../../src/core/graph/index.ts';
import { ListStore } from '../../../src/core/lists/index.ts';
import { enriched, ringFixture } from './fixtures.ts';

describe('graph signals in the live decision', () => {
  it('flags ring transactions with high_risk_graph_pattern once the ring is visible', async () => {
    const file = new URL('../../../rules/default.yaml', import.meta.url);
    const compile = policyCompiler({
      catalogue: { featureNames: FEATURE_NAMES, graphSignals: GRAPH_SIGNAL_NAMES },
      lists: new ListStore(),
    });
    const policy = compile(readFileSync(file, 'utf8'), 'rules/default.yaml');
    const graph = new MemoryGraph();
    const fx = ringFixture('dec_');
    const features = new Float64Array(FEATURE_NAMES.length).fill(Number.NaN);
    const reasons = new Map<string, string[]>();
    for (const tx of [...fx.txs].sort((a, b) => a.timestamp.localeCompare(b.timestamp))) {
      const outcome = policy.decide({
        transaction: tx,
        features,
        modelScore: 0.05,
        graph: graph.signalsFor(tx),
      });
      reasons.set(tx.transaction_id, outcome.reasons);
      await graph.observe([enriched(tx)]);
    }
    // c4 is the 4th card on d1 all time, but c3 used d1 72 h earlier: 3 cards in 24 h, not yet.
    const c4OnD1 = fx.txs.find((t) => t.card_id === 'dec_c4' && t.device_id === 'dec_d1');
    expect(reasons.get(c4OnD1?.transaction_id ?? '')).not.toContain(GRAPH_REASON);
    // Ordinary customers never get it.
    for (const t of fx.txs.filter((x) => x.card_id.startsWith('dec_n') || x.card_id.startsWith('dec_f'))) {
      expect(reasons.get(t.transaction_id)).not.toContain(GRAPH_REASON);
    }
    // A 4th card on d1 within 24 h (c6, the probe) makes the ring visible.
    const probe = policy.decide({
      transaction: fx.probe,
      features,
      modelScore: 0.05,
      graph: graph.signalsFor(fx.probe),
    });
    expect(graph.signalsFor(fx.probe).device_cards_24h).toBe(4);
    expect(probe.reasons[0]).toBe(GRAPH_REASON);
    // block or review depending on the rule set's other conditions (new device, card present).
    expect(probe.decision).not.toBe('approve');
    // Once c2's fraud is confirmed, c5 (same ring, other device, 4 hops from c2) is still
    // clean, but c1 (2 hops from c2 via d1) carries the graph reason.
    await graph.addLabels(fx.labels);
    const later = (card: string, device: string, ip: string) => ({
      ...fx.probe,
      transaction_id: `dec_later_${card}`,
      card_id: `dec_${card}`,
      customer_id: `dec_u${card.slice(1)}`,
      device_id: `dec_${device}`,
      ip_address: ip,
      timestamp: '2025-02-10T12:00:00Z',
    });
    const c1 = later('c1', 'd1', fx.ip(1));
    expect(
      policy.decide({ transaction: c1, features, modelScore: 0.05, graph: graph.signalsFor(c1) }).reasons,
    ).toContain(GRAPH_REASON);
    const c5 = later('c5', 'd2', fx.ip(2));
    expect(
      policy.decide({ transaction: c5, features, modelScore: 0.05, graph: graph.signalsFor(c5) }).reasons,
    ).not.toContain(GRAPH_REASON);
    // Without graph signals the decision proceeds and records the gap.
    const blind = policy.decide({ transaction: fx.probe, features, modelScore: 0.05, graph: undefined });
    expect(blind.missingSignals).toContain('graph');
  });
});
