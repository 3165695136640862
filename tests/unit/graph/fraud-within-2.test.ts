import { describe, expect, it } from 'vitest';
import { IdentityGraph } from '../../../src/core/graph/identity-graph.ts';
import { toGraphRow } from '../../../src/core/graph/model.ts';
import { createSimulator } from '../../../src/services/ingestor/index.ts';

/*
 * `fraud_within_2_hops` by definition: distinct confirmed-fraud identity nodes among the card,
 * its devices and customers (this transaction's included), and, through each of those that is
 * not a hub, their cards (and a device's IPs; this transaction's IP for its own device).
 * This breadth-first reference over the graph's public maps is the specification the optimised
 * signal must match on a simulated history with rings and labels.
 */
function reference(
  g: IdentityGraph,
  t: { card_id: string; device_id: string; customer_id: string; ip_address: string },
  hub: number,
): number {
  const seen = new Set<string>([`Card:${t.card_id}`]);
  const hop1 = new Set<string>([`Device:${t.device_id}`, `Customer:${t.customer_id}`]);
  const card = g.cards.get(t.card_id);
  for (const d of card?.devices.keys() ?? []) hop1.add(`Device:${d}`);
  for (const c of card?.customers.keys() ?? []) hop1.add(`Customer:${c}`);
  for (const id of hop1) {
    seen.add(id);
    const key = id.slice(id.indexOf(':') + 1);
    if (id.startsWith('Device:')) {
      const d = g.devices.get(key);
      if ((d?.cards.size ?? 0) > hub) continue;
      for (const c of d?.cards.keys() ?? []) seen.add(`Card:${c}`);
      for (const ip of d?.ips.keys() ?? []) seen.add(`IP:${ip}`);
      if (key === t.device_id) seen.add(`IP:${t.ip_address}`);
    } else {
      const cu = g.customers.get(key)?.cards;
      if ((cu?.size ?? 0) > hub) continue;
      for (const c of cu?.keys() ?? []) seen.add(`Card:${c}`);
    }
  }
  let n = 0;
  for (const id of seen) if (g.fraud.has(id)) n++;
  return n;
}

describe('fraud_within_2_hops', () => {
  it('matches the breadth-first definition on a simulated history with rings and labels', () => {
    const hub = 50;
    const g = new IdentityGraph({ hubDegree: hub });
    const sim = createSimulator({ seed: 11, count: 26_000, customers: 2_000, fraudRate: 0.05 });
    const labels = [];
    for (let i = 0; i < 20_000; i++) {
      const e = sim.next();
      g.write([toGraphRow(e.transaction)]);
      if (e.label) labels.push(e.label);
    }
    g.applyLabels(labels);
    let nonZero = 0;
    for (let i = 0; i < 6_000; i++) {
      const t = sim.next().transaction;
      const expected = reference(g, t, hub);
      expect(g.signalsFor(t).fraud_within_2_hops).toBe(expected);
      if (expected > 0) nonZero++;
    }
    // The probe set must exercise the non-trivial case, or this test proves nothing.
    expect(nonZero).toBeGreaterThan(100);
  });

  it('counts a flag added by id, as the Neo4j refresh adds them', () => {
    const g = new IdentityGraph();
    const row = { card_id: 'c1', device_id: 'd1', customer_id: 'u1', ip_address: '10.0.0.1' };
    g.write([
      toGraphRow({
        ...row,
        transaction_id: 't1',
        amount: 1,
        currency: 'BRL',
        merchant_id: 'm',
        merchant_category: 'x',
        merchant_country: 'BR',
        timestamp: '2025-01-01T00:00:00Z',
        card_present: false,
      } as never),
    ]);
    expect(g.signalsFor({ ...row, timestamp: '2025-01-01T00:01:00Z' }).fraud_within_2_hops).toBe(0);
    g.fraud.add('IP:10.0.0.1');
    g.fraud.add('Customer:u1');
    expect(g.signalsFor({ ...row, timestamp: '2025-01-01T00:01:00Z' }).fraud_within_2_hops).toBe(2);
  });
});
