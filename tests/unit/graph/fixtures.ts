/**
 * A small, hand-checked graph: a fraud ring next to ordinary customers. Every id carries a
 * prefix so the same data can sit beside other tests' data in a shared Neo4j.
 *
 * Ring: cards c1..c5 of customers u1..u5. c1..c4 used on device d1 (the brief's query: 4 > 3),
 * c4 and c5 on device d2; d1 seen from ip1, d2 from ip2. c3 used d1 three days before the
 * others (so d1 has 4 cards all time and 3 in the last 24 h). The unique shortest path
 * c1 → c5 is c1–d1–c4–d2–c5. One ring transaction (c2's) is labelled fraud.
 * Ordinary: n1..n12, each its own customer, card, device and IP. Family: customer f1 with
 * cards f1a, f1b on one device (2 cards: below every ring threshold).
 */
import type { EnrichedTransaction, Label, Transaction } from '../../../src/core/contracts/index.ts';

/** Wraps a transaction as the `enriched-transactions` payload. */
export function enriched(t: Transaction): EnrichedTransaction {
  return { transaction: t, features: {}, feature_set_version: 'test', enriched_at: t.timestamp };
}

export const T0 = Date.parse('2025-01-29T12:00:00Z');
const H = 3_600_000;

export function ringFixture(p: string) {
  const txs: Transaction[] = [];
  let seq = 0;
  const tx = (
    card: string,
    customer: string,
    device: string,
    ip: string,
    merchant: string,
    at: number,
    amount = 100,
  ): Transaction => {
    const t: Transaction = {
      transaction_id: `${p}tx${++seq}`,
      timestamp: new Date(at).toISOString(),
      amount,
      currency: 'BRL',
      card_id: `${p}${card}`,
      merchant_id: `${p}${merchant}`,
      merchant_category: 'retail',
      customer_id: `${p}${customer}`,
      merchant_country: 'BR',
      card_present: false,
      device_id: `${p}${device}`,
      ip_address: ip,
      status: 'pending',
    };
    txs.push(t);
    return t;
  };
  // Unique IPs per prefix: IPs are keys too. 10.x.y.z from a hash of the prefix.
  let h = 0;
  for (const ch of p) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  const ip = (n: number) => `10.${(h >>> 8) & 255}.${h & 255}.${n}`;
  tx('c3', 'u3', 'd1', ip(1), 'm1', T0 - 72 * H, 50);
  tx('c1', 'u1', 'd1', ip(1), 'm1', T0 - 3 * H, 120.5);
  tx('c2', 'u2', 'd1', ip(1), 'm2', T0 - 2 * H, 980);
  const fraudTx = txs.at(-1) as Transaction;
  tx('c4', 'u4', 'd1', ip(1), 'm1', T0 - 1 * H, 75);
  tx('c4', 'u4', 'd2', ip(2), 'm1', T0 - 1 * H + 60_000, 60);
  tx('c5', 'u5', 'd2', ip(2), 'm2', T0 - 30 * 60_000, 410);
  tx('c1', 'u1', 'd1', ip(1), 'm1', T0 - 20 * 60_000, 30);
  for (let i = 1; i <= 12; i++)
    tx(`n${i}`, `nu${i}`, `nd${i}`, ip(100 + i), `m${1 + (i % 3)}`, T0 - i * H, 10 * i);
  tx('f1a', 'f1', 'fd1', ip(200), 'm3', T0 - 5 * H, 20);
  tx('f1b', 'f1', 'fd1', ip(200), 'm3', T0 - 4 * H, 25);
  const labels: Label[] = [
    {
      transaction_id: fraudTx.transaction_id,
      is_fraud: true,
      labeled_at: new Date(T0).toISOString(),
      source: 'analyst',
    },
  ];
  /** A new transaction to decide: card c6 (new) on the ring's device d1, at T0. */
  const probe: Transaction = {
    ...fraudTx,
    transaction_id: `${p}probe`,
    card_id: `${p}c6`,
    customer_id: `${p}u6`,
    timestamp: new Date(T0).toISOString(),
  };
  return { txs, labels, fraudTx, probe, ip };
}
