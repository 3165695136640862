import neo4j from 'neo4j-driver';
import { describe, expect, it } from 'vitest';
import { Neo4jGraphSignals } from '../../../src/adapters/graph-neo4j/signals.ts';
import {
  analyzeComponents,
  IdentityGraph,
  parseEntityRef,
  ringScore,
  toGraphRow,
} from '../../../src/core/graph/index.ts';
import { ringFixture } from './fixtures.ts';

describe('ring analysis', () => {
  it('keeps hub identifiers out of components so they do not merge unrelated cards', () => {
    // 60 unrelated cards all seen behind one carrier IP (through their own devices).
    const nodes: string[] = [];
    const edges: [string, string][] = [];
    for (let i = 0; i < 60; i++) {
      nodes.push(`Card:c${i}`, `Device:d${i}`);
      edges.push([`Card:c${i}`, `Device:d${i}`], [`Device:d${i}`, 'IP:1.1.1.1']);
    }
    const withHub = analyzeComponents(nodes, edges, new Set(), { hubDegree: 50 });
    expect(withHub.hubs).toEqual(['IP:1.1.1.1']);
    expect(withHub.rings).toEqual([]);
    expect(withHub.cardClusterSize.get('c0')).toBe(1);
    const noHubRule = analyzeComponents(nodes, edges, new Set(), { hubDegree: 1000 });
    expect(noHubRule.rings).toHaveLength(1);
    expect(noHubRule.rings[0]?.cards).toBe(60);
  });

  it('scores rings higher with more cards, more customers and confirmed fraud', () => {
    expect(ringScore(3, 1, 0)).toBeLessThan(ringScore(3, 3, 0));
    expect(ringScore(3, 3, 0)).toBeLessThan(ringScore(10, 10, 0));
    expect(ringScore(10, 10, 0)).toBeLessThan(ringScore(3, 3, 1));
    expect(ringScore(1, 1, 0)).toBe(0);
    for (const s of [ringScore(50, 50, 20), ringScore(2, 1, 0)]) expect(s >= 0 && s <= 1).toBe(true);
  });

  it('parses entity references with or without a label', () => {
    expect(parseEntityRef('card:card_1')).toEqual({ label: 'Card', key: 'card_1' });
    expect(parseEntityRef('Customer:cust_5')).toEqual({ label: 'Customer', key: 'cust_5' });
    expect(parseEntityRef('card_1')).toEqual({ label: null, key: 'card_1' });
    expect(parseEntityRef('ip:2001:db8::1')).toEqual({ label: 'IP', key: '2001:db8::1' });
  });
});

describe('live signals', () => {
  it('count this card on its device and respect the 24 h window', () => {
    const g = new IdentityGraph();
    const fx = ringFixture('sig_');
    g.write(fx.txs.map(toGraphRow));
    const s = g.signalsFor(fx.probe);
    expect(s.device_cards_total).toBe(5);
    expect(s.device_cards_24h).toBe(4);
    // The same card again is not counted twice.
    expect(g.signalsFor({ ...fx.probe, card_id: 'sig_c1' }).device_cards_total).toBe(4);
    // A label arriving before its transaction still flags the entities once it lands.
    const early = new IdentityGraph();
    early.applyLabels([{ transaction_id: fx.fraudTx.transaction_id, is_fraud: true }]);
    early.write(fx.txs.map(toGraphRow));
    expect(early.fraud.has('Device:sig_d1')).toBe(true);
  });

  it('are withheld (undefined) while the Neo4j cache has never refreshed or is stale', async () => {
    // A driver to a closed port: refresh fails fast, nothing is mocked.
    const driver = neo4j.driver('bolt://127.0.0.1:1', undefined, {
      connectionTimeout: 500,
      maxTransactionRetryTime: 0,
    });
    let now = 1_000_000;
    const errors: Error[] = [];
    const source = new Neo4jGraphSignals(driver, {
      refreshMs: 0,
      staleAfterMs: 60_000,
      now: () => now,
      onError: (e) => errors.push(e),
    });
    const fx = ringFixture('stale_');
    await source.observe(
      fx.txs.map((t) => ({
        transaction: t,
        features: {},
        feature_set_version: 't',
        enriched_at: t.timestamp,
      })),
    );
    expect(source.signalsFor(fx.probe)).toBeUndefined();
    await expect(source.refresh()).rejects.toMatchObject({ code: 'FRAUD_DEPENDENCY_UNAVAILABLE' });
    expect(source.failures).toBe(1);
    expect(errors).toHaveLength(1);
    // Pretend one refresh succeeded at `now`: signals flow until staleAfterMs passes.
    source.lastRefresh = now;
    expect(source.signalsFor(fx.probe)?.device_cards_total).toBe(5);
    now += 60_001;
    expect(source.signalsFor(fx.probe)).toBeUndefined();
    await source.close();
  });
});
