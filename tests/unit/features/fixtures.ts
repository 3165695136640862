import type { Label, Transaction } from '../../../src/core/contracts/index.ts';
import { mulberry32 } from '../../support/prng.ts';

/**
 * A small deterministic history generator for the feature tests and benchmarks (the
 * simulator of the pipeline issue is the realistic source; this one is shaped to hit the
 * edge cases: bursts inside 1 minute, equal timestamps, out-of-order arrival within the
 * allowed lateness, shared devices and IPs, several countries, delayed fraud labels).
 */

/** Seeded PRNG for the fixtures (mulberry32). */
export const rng = mulberry32;

export interface HistoryOptions {
  count: number;
  seed?: number;
  cards?: number;
  /** Days the history spans (default 45). */
  days?: number;
  /** Skew of card activity: card = floor(u^skew · cards); 1 = uniform (default 1.5). */
  skew?: number;
  /** Max out-of-order displacement of arrival vs event time, in ms (default 60 s). */
  jitterMs?: number;
  /** Fraction of transactions labelled fraud (default 0.03). */
  fraudRate?: number;
  start?: number;
}

export interface History {
  /** Transactions in arrival order (event time with bounded jitter). */
  transactions: Transaction[];
  /** All labels (fraud and some legit), in labeled_at order. */
  labels: Label[];
}

const COUNTRIES = ['BR', 'BR', 'BR', 'AR', 'US', 'PT', 'MX', 'CL'] as const;
const CATEGORIES = ['retail', 'grocery', 'travel', 'electronics', 'gaming', 'fuel'];

export function makeHistory(o: HistoryOptions): History {
  const r = rng(o.seed ?? 1);
  const cards = o.cards ?? Math.max(20, Math.floor(o.count / 40));
  const days = o.days ?? 45;
  const start = o.start ?? Date.parse('2025-01-01T00:00:00Z');
  const span = days * 86_400_000;
  const jitter = o.jitterMs ?? 60_000;
  const fraudRate = o.fraudRate ?? 0.03;
  const skew = o.skew ?? 1.5;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const events: { t: number; tx: Transaction }[] = [];
  let t = start;
  const gap = span / o.count;
  for (let i = 0; i < o.count; i++) {
    // Bursts: 10% of events follow the previous within a few seconds; 2% at the same ms.
    const u = r();
    t += u < 0.02 ? 0 : u < 0.12 ? Math.floor(r() * 5000) : Math.floor(r() * 2 * gap);
    const card = Math.floor(r() ** skew * cards);
    const customer = Math.floor(card / 2);
    const home = COUNTRIES[customer % COUNTRIES.length]!;
    const tx: Transaction = {
      transaction_id: `tx_${o.seed ?? 1}_${i}`,
      timestamp: new Date(t).toISOString(),
      amount: Math.round((5 + r() ** 3 * 3000) * 100) / 100,
      currency: 'BRL',
      card_id: `card_${card}`,
      merchant_id: `m_${Math.floor(r() * Math.max(10, cards / 4))}`,
      merchant_category: pick(CATEGORIES),
      customer_id: `cust_${customer}`,
      merchant_country: r() < 0.85 ? home : pick(COUNTRIES),
      card_present: r() < 0.5,
      device_id: `dev_${r() < 0.9 ? customer : Math.floor(r() * 30)}`,
      ip_address: `10.0.${Math.floor(r() * 4)}.${r() < 0.8 ? customer % 250 : Math.floor(r() * 250)}`,
      status: 'pending',
    };
    events.push({ t: t + Math.floor(r() * jitter), tx });
  }
  // Arrival order: event time plus bounded jitter (stable for equal arrival times).
  const transactions = events
    .map((e, i) => ({ ...e, i }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map((e) => e.tx);
  const labels: Label[] = [];
  for (const tx of transactions) {
    const u = r();
    if (u < fraudRate || u > 0.97) {
      const delay = Math.floor(3_600_000 + r() ** 2 * 40 * 86_400_000);
      labels.push({
        transaction_id: tx.transaction_id,
        is_fraud: u < fraudRate,
        labeled_at: new Date(Date.parse(tx.timestamp) + delay).toISOString(),
      });
    }
  }
  labels.sort((a, b) => Date.parse(a.labeled_at) - Date.parse(b.labeled_at));
  return { transactions, labels };
}

export function toJsonl(txs: readonly Transaction[]): string {
  return txs.map((t) => JSON.stringify(t)).join('\n') + '\n';
}

export function toLabelsCsv(labels: readonly Label[]): string {
  return (
    [
      'transaction_id,is_fraud,labeled_at,scenario',
      ...labels.map((l) => `${l.transaction_id},${l.is_fraud},${l.labeled_at},test`),
    ].join('\n') + '\n'
  );
}
