import { describe, expect, it } from 'vitest';
import {
  type GraphRow,
  IdentityGraph,
  type IdentityGraphOptions,
  nodeId,
  toGraphRow,
} from '../../../src/core/graph/index.ts';
import { createSimulator } from '../../../src/services/ingestor/simulator.ts';
import { mulberry32 as prng } from '../../support/prng.ts';
import { IdentityGraph as OracleGraph } from './oracle-identity-graph.ts';

/*
 * The optimised in-process graph (union-find and flags on node objects, visit stamps instead
 * of sets) must answer exactly like the string-keyed implementation it replaced, kept as an
 * oracle: same signals for every probe, same write results, labels, rings, live sets after
 * analyze(), views, paths and stats — on random graphs dense with shared identifiers (so weak,
 * strong, private and hub devices/IPs all occur) and on a simulated history with rings.
 */

const T0 = Date.parse('2025-03-01T00:00:00Z');
const HOUR = 3_600_000;

interface KeySpace {
  card: number;
  device: number;
  customer: number;
  ip: number;
  correlated?: boolean;
}

function randomCase(seed: number, options: IdentityGraphOptions, keys: KeySpace, steps: number): void {
  const rnd = prng(seed);
  const pick = (n: number) => Math.floor(rnd() * n);
  const g = new IdentityGraph(options);
  const o = new OracleGraph(options);
  // Correlated keys: a card mostly keeps its owner, its home device and that device's home IP,
  // so most identifiers are private and a few turn shared, weak or strong over time.
  const entity = () => {
    const c = pick(keys.card);
    const d = keys.correlated && rnd() < 0.8 ? (c * 7) % keys.device : pick(keys.device);
    return {
      card_id: `c${c}`,
      device_id: `d${d}`,
      customer_id: `u${keys.correlated && rnd() < 0.9 ? c % keys.customer : pick(keys.customer)}`,
      ip_address: `10.0.0.${keys.correlated && rnd() < 0.7 ? d % keys.ip : pick(keys.ip)}`,
    };
  };
  const rows: GraphRow[] = [];
  let seq = 0;
  const newRow = (): GraphRow => ({
    ...entity(),
    transaction_id: `t${++seq}`,
    ts: T0 + pick(96) * HOUR,
    amount: 1 + pick(500),
    currency: 'BRL',
    status: 'pending',
    merchant_id: `m${pick(6)}`,
    merchant_category: 'retail',
    merchant_country: 'BR',
  });
  const probe = () => {
    const t = { ...entity(), timestamp: new Date(T0 + pick(120) * HOUR).toISOString() };
    // Now and then a key neither graph has seen.
    if (rnd() < 0.15) t.card_id = `new_c${pick(5)}`;
    if (rnd() < 0.15) t.device_id = `new_d${pick(5)}`;
    if (rnd() < 0.15) t.customer_id = `new_u${pick(5)}`;
    if (rnd() < 0.15) t.ip_address = `new_ip${pick(5)}`;
    return t;
  };
  for (let step = 0; step < steps; step++) {
    const op = rnd();
    if (op < 0.55) {
      // A batch with fresh rows, replays of older ones and in-batch duplicates.
      const batch: GraphRow[] = [];
      const n = 1 + pick(6);
      for (let i = 0; i < n; i++) {
        const r = rnd();
        if (r < 0.7 || rows.length === 0) {
          const row = newRow();
          rows.push(row);
          batch.push(row);
        } else if (r < 0.9) batch.push(rows[pick(rows.length)] as GraphRow);
        else if (batch.length > 0) batch.push(batch[pick(batch.length)] as GraphRow);
      }
      expect(g.write(batch)).toEqual(o.write(batch));
    } else if (op < 0.65) {
      const labels = Array.from({ length: 1 + pick(3) }, () => ({
        transaction_id:
          rnd() < 0.8 && rows.length > 0
            ? (rows[pick(rows.length)] as GraphRow).transaction_id
            : `t${seq + 1 + pick(4)}`,
        is_fraud: rnd() < 0.6,
      }));
      g.applyLabels(labels);
      o.applyLabels(labels);
    } else if (op < 0.7) {
      // A flag learnt by id (the Neo4j refresh), sometimes for a node not seen yet.
      const e = probe();
      const id = [
        nodeId('Card', e.card_id),
        nodeId('Device', e.device_id),
        nodeId('Customer', e.customer_id),
        nodeId('IP', e.ip_address),
      ][pick(4)] as string;
      g.fraud.add(id);
      o.fraud.add(id);
    } else if (op < 0.72) {
      const ids = [...o.fraud];
      if (ids.length > 0) {
        const id = ids[pick(ids.length)] as string;
        expect(g.fraud.delete(id)).toBe(o.fraud.delete(id));
      }
    } else if (op < 0.8) {
      // An edge learnt elsewhere (the Neo4j refresh).
      const e = probe();
      const at = T0 + pick(96) * HOUR;
      const kind = pick(3);
      if (kind === 0) {
        g.mergeEdge('OWNS', e.customer_id, e.card_id, at);
        o.mergeEdge('OWNS', e.customer_id, e.card_id, at);
      } else if (kind === 1) {
        g.mergeEdge('USED_ON', e.card_id, e.device_id, at);
        o.mergeEdge('USED_ON', e.card_id, e.device_id, at);
      } else {
        g.mergeEdge('SEEN_FROM', e.device_id, e.ip_address, at);
        o.mergeEdge('SEEN_FROM', e.device_id, e.ip_address, at);
      }
    } else if (op < 0.84) {
      // The periodic analysis rebuilds the live sets, sometimes with other ring options (then
      // identifiers it marks as linking keep linking new neighbours).
      const opts = rnd() < 0.4 ? { minCards: 2, minShared: 1 + pick(4) } : {};
      expect(g.analyze(opts)).toEqual(o.analyze(opts));
      if (rnd() < 0.5) {
        // Keep the rebuilt live sets but drop the overlay, so later probes see the live sets.
        g.applyAnalysis(new Map(), new Map(), new Map());
        o.applyAnalysis(new Map(), new Map(), new Map());
      }
    } else if (op < 0.845) {
      // Overlays replaced wholesale, as the Neo4j refresh does: often empty, so the live sets
      // alone decide card_cluster_size.
      const cluster = new Map<string, number>();
      const score = new Map<string, number>();
      if (rnd() < 0.3) for (let i = 0; i < 3; i++) cluster.set(`c${pick(keys.card)}`, 1 + pick(9));
      if (rnd() < 0.3) score.set(`c${pick(keys.card)}`, rnd());
      g.applyAnalysis(cluster, score, new Map());
      o.applyAnalysis(cluster, score, new Map());
    } else if (op < 0.86 && rows.length > 0) {
      const tx = (rows[pick(rows.length)] as GraphRow).transaction_id;
      const hops = 1 + pick(2);
      expect(g.neighbourhood(tx, hops, 30)).toEqual(o.neighbourhood(tx, hops, 30));
    } else if (op < 0.88) {
      const a = probe();
      const b = probe();
      const from = { label: 'Card' as const, key: a.card_id };
      const to = { label: 'Customer' as const, key: b.customer_id };
      expect(g.path(from, to, 6)).toEqual(o.path(from, to, 6));
    }
    for (let i = 0; i < 4; i++) {
      const t = probe();
      expect(g.signalsFor(t), JSON.stringify({ seed, step, t })).toEqual(o.signalsFor(t));
    }
  }
  expect(g.stats()).toEqual(o.stats());
  expect(g.sharedDevices(1, 1000)).toEqual(o.sharedDevices(1, 1000));
  expect(g.identityNodes()).toEqual(o.identityNodes());
  expect([...g.identityEdges()]).toEqual([...o.identityEdges()]);
  expect([...g.fraud].sort()).toEqual([...o.fraud].sort());
  g.fraud.clear();
  o.fraud.clear();
  // With every flag gone, no node may still count a flagged neighbour.
  for (const nodes of [g.cards, g.devices, g.customers, g.ips])
    for (const n of nodes.values()) expect(n.flaggedNear === 0 && !n.fraud).toBe(true);
  const t = probe();
  expect(g.signalsFor(t)).toEqual(o.signalsFor(t));
}

describe('optimised identity graph equals the string-keyed oracle', () => {
  // Few keys per label share identifiers a lot (strong and hub devices/IPs); more keys leave
  // many weak and private ones.
  const dense = { card: 40, device: 14, customer: 25, ip: 12 };
  const sparse = { card: 120, device: 45, customer: 90, ip: 40 };
  const correlated = { card: 150, device: 120, customer: 130, ip: 100, correlated: true };
  const variants: [string, IdentityGraphOptions, KeySpace][] = [
    ['dense, defaults', {}, dense],
    ['dense, small hubs', { hubDegree: 4 }, dense],
    ['dense, plain components (minShared 1)', { minShared: 1, hubDegree: 8 }, dense],
    ['dense, minShared 2, few remembered transactions', { minShared: 2, maxTransactions: 7 }, dense],
    ['dense, nothing remembered', { maxTransactions: 0, hubDegree: 6, minShared: 3 }, dense],
    ['sparse, defaults', {}, sparse],
    ['sparse, minShared 3', { minShared: 3, hubDegree: 10 }, sparse],
    ['correlated, defaults', {}, correlated],
    ['correlated, minShared 3, small hubs', { minShared: 3, hubDegree: 5 }, correlated],
  ];
  for (const [name, options, keys] of variants) {
    it(`on random graphs: ${name}`, () => {
      for (let seed = 1; seed <= 12; seed++) randomCase(seed * 7919, options, keys, 160);
    });
  }

  it('on a simulated history with rings and labels, probe by probe', () => {
    const g = new IdentityGraph({ maxTransactions: 5_000 });
    const o = new OracleGraph({ maxTransactions: 5_000 });
    const sim = createSimulator({ seed: 23, count: 12_000, customers: 1_500, fraudRate: 0.05 });
    let clustered = 0;
    let flagged = 0;
    for (let i = 0; i < 12_000; i++) {
      const e = sim.next();
      const s = g.signalsFor(e.transaction);
      expect(s).toEqual(o.signalsFor(e.transaction));
      if (s.card_cluster_size > 1) clustered++;
      if (s.fraud_within_2_hops > 0) flagged++;
      const row = [toGraphRow(e.transaction)];
      expect(g.write(row)).toEqual(o.write(row));
      if (e.label) {
        g.applyLabels([e.label]);
        o.applyLabels([e.label]);
      }
      if (i % 4_000 === 3_999) expect(g.analyze()).toEqual(o.analyze());
    }
    // The probes must exercise the non-trivial paths, or this comparison proves little.
    expect(clustered).toBeGreaterThan(500);
    expect(flagged).toBeGreaterThan(100);
  });
});
