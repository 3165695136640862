import { describe, expect, it } from 'vitest';
import type { Label, Transaction } from '../../../src/core/contracts/index.ts';
import {
  CARD_DISTINCT_WINDOWS,
  DAY_MS,
  FEATURE_COUNT,
  FEATURE_NAMES,
  FeatureEngine,
  featureIndex,
  hash53,
  IMPOSSIBLE_TRAVEL_SECONDS,
  LINK_WINDOWS,
  RISK_WINDOWS,
  VELOCITY_WINDOWS,
} from '../../../src/core/features/index.ts';
import { makeHistory } from './fixtures.ts';

/**
 * An independent, deliberately naive oracle written straight from the catalogue's
 * definitions (O(n²), strings instead of hashes, no state, no eviction): for every
 * transaction it recomputes each feature from the whole history applied before it. The
 * engine must agree on every feature of every transaction.
 *
 * Tolerance: counts, flags and distinct counts exactly; sums, means, ratios and z-scores to
 * a relative 1e-9 (the oracle sums in a different order).
 */
function oracle(history: readonly Transaction[], labels: readonly Label[]): Float64Array[] {
  const t = history.map((x) => Date.parse(x.timestamp));
  const h = history.map((x) => hash53(x.transaction_id));
  const arrival = new Map(history.map((x, i) => [x.transaction_id, i]));
  const fraud = new Map<string, number>();
  for (const l of labels)
    if (l.is_fraud && !fraud.has(l.transaction_id)) fraud.set(l.transaction_id, Date.parse(l.labeled_at));
  const out: Float64Array[] = [];
  for (let i = 0; i < history.length; i++) {
    const x = history[i]!;
    const v = new Float64Array(FEATURE_COUNT).fill(Number.NaN);
    const set = (name: string, value: number) => {
      const k = featureIndex(name);
      if (k < 0) throw new Error(name);
      v[k] = value;
    };
    // Applied before x (arrival order) and preceding it in event time (ties by id hash).
    const before: number[] = [];
    for (let j = 0; j < i; j++) if (t[j]! < t[i]! || (t[j] === t[i] && h[j]! < h[i]!)) before.push(j);
    const inWin = (j: number, w: number) => t[i]! - t[j]! < w;
    for (const [prefix, key] of [
      ['card', 'card_id'],
      ['customer', 'customer_id'],
    ] as const) {
      for (const win of VELOCITY_WINDOWS) {
        const es = before.filter((j) => history[j]![key] === x[key] && inWin(j, win.ms));
        set(`${prefix}_count_${win.label}`, es.length);
        set(
          `${prefix}_amount_sum_${win.label}`,
          es.reduce((s, j) => s + history[j]!.amount, 0),
        );
      }
    }
    const card30 = before.filter((j) => history[j]!.card_id === x.card_id && inWin(j, 30 * DAY_MS));
    for (const win of CARD_DISTINCT_WINDOWS) {
      const es = card30.filter((j) => inWin(j, win.ms)).map((j) => history[j]!);
      set(`card_distinct_merchants_${win.label}`, new Set(es.map((e) => e.merchant_id)).size);
      set(`card_distinct_devices_${win.label}`, new Set(es.map((e) => e.device_id)).size);
      set(`card_distinct_countries_${win.label}`, new Set(es.map((e) => e.merchant_country)).size);
      set(`card_distinct_ips_${win.label}`, new Set(es.map((e) => e.ip_address)).size);
    }
    for (const [prefix, key] of [
      ['device', 'device_id'],
      ['ip', 'ip_address'],
    ] as const) {
      for (const win of LINK_WINDOWS) {
        const es = before.filter((j) => history[j]![key] === x[key] && inWin(j, win.ms));
        set(`${prefix}_distinct_cards_${win.label}`, new Set(es.map((j) => history[j]!.card_id)).size);
      }
    }
    const cust30 = before.filter((j) => history[j]!.customer_id === x.customer_id && inWin(j, 30 * DAY_MS));
    if (cust30.length > 0) {
      const amounts = cust30.map((j) => history[j]!.amount);
      const mean = amounts.reduce((a, b) => a + b, 0) / amounts.length;
      const std = Math.sqrt(amounts.reduce((a, b) => a + (b - mean) ** 2, 0) / amounts.length);
      set('customer_amount_ratio_to_mean_30d', x.amount / mean);
      set(
        'customer_amount_zscore_30d',
        amounts.length >= 2 && std > 1e-12 ? (x.amount - mean) / std : Number.NaN,
      );
      set('customer_new_device', cust30.some((j) => history[j]!.device_id === x.device_id) ? 0 : 1);
      const counts = new Map<string, number>();
      for (const j of cust30)
        counts.set(history[j]!.merchant_country, (counts.get(history[j]!.merchant_country) ?? 0) + 1);
      const usual = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
      set('customer_country_mismatch', usual === x.merchant_country ? 0 : 1);
    }
    if (card30.length > 0) {
      const prev = card30.reduce((p, j) => (t[j]! > t[p]! || (t[j] === t[p] && h[j]! > h[p]!) ? j : p));
      const since = (t[i]! - t[prev]!) / 1000;
      const p = history[prev]!;
      set('card_seconds_since_previous', since);
      set('card_new_merchant', card30.some((j) => history[j]!.merchant_id === x.merchant_id) ? 0 : 1);
      set('card_country_changed', p.merchant_country === x.merchant_country ? 0 : 1);
      set(
        'card_impossible_travel',
        p.merchant_country !== x.merchant_country &&
          p.card_present &&
          x.card_present &&
          since < IMPOSSIBLE_TRAVEL_SECONDS
          ? 1
          : 0,
      );
    }
    const d = new Date(t[i]!);
    set('hour_of_day', d.getUTCHours());
    set('is_night', d.getUTCHours() < 6 ? 1 : 0);
    set('is_weekend', d.getUTCDay() === 0 || d.getUTCDay() === 6 ? 1 : 0);
    set('card_present', x.card_present ? 1 : 0);
    set('amount', x.amount);
    for (const [prefix, key] of [
      ['merchant', 'merchant_id'],
      ['category', 'merchant_category'],
      ['device', 'device_id'],
      ['ip', 'ip_address'],
    ] as const) {
      for (const win of RISK_WINDOWS) {
        const n = before.filter((j) => history[j]![key] === x[key] && inWin(j, win.ms)).length;
        let f = 0;
        for (const [id, at] of fraud) {
          const j = arrival.get(id);
          if (j === undefined || j >= i || history[j]![key] !== x[key]) continue;
          if (at <= t[i]! && t[i]! - at < win.ms) f++;
        }
        set(`${prefix}_fraud_rate_${win.label}`, n > 0 ? f / n : Number.NaN);
        set(`${prefix}_fraud_count_${win.label}`, f);
      }
    }
    out.push(v);
  }
  return out;
}

/** Runs the engine over the history and fails on the first feature that differs from the oracle. */
function expectOracleAgreement(transactions: readonly Transaction[], labels: readonly Label[]) {
  const expected = oracle(transactions, labels);
  const engine = new FeatureEngine({ pendingLabelCapacity: Infinity });
  for (const l of labels) engine.addLabel(l.transaction_id, l.is_fraud, Date.parse(l.labeled_at));
  let compared = 0;
  let nonTrivial = 0;
  transactions.forEach((tx, i) => {
    const got = engine.enrich(tx);
    const want = expected[i]!;
    for (let k = 0; k < FEATURE_COUNT; k++) {
      const a = got[k]!;
      const b = want[k]!;
      const ok = Number.isNaN(b) ? Number.isNaN(a) : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
      if (!ok) throw new Error(`${tx.transaction_id} (#${i}) ${FEATURE_NAMES[k]}: engine ${a}, oracle ${b}`);
      compared++;
      if (b !== 0 && !Number.isNaN(b)) nonTrivial++;
    }
  });
  expect(compared).toBe(transactions.length * FEATURE_COUNT);
  // The history must exercise the features, not compare zeros.
  expect(nonTrivial / compared).toBeGreaterThan(0.3);
  return expected;
}

describe('feature engine against a naive oracle of the definitions', () => {
  it('agrees on every feature of every transaction (dense history, bursts, ties, out-of-order, labels)', () => {
    const { transactions, labels } = makeHistory({
      count: 1500,
      seed: 11,
      cards: 24,
      days: 40,
      fraudRate: 0.08,
    });
    const expected = expectOracleAgreement(transactions, labels);
    for (const name of FEATURE_NAMES) {
      const k = featureIndex(name);
      const nonZero = expected.some((v) => v[k]! !== 0 && !Number.isNaN(v[k]!));
      if (!nonZero) throw new Error(`fixture never exercises ${name}`);
    }
  });

  it('agrees over histories far longer than a card keeps (rows trimmed, slid down and moved to larger blocks)', () => {
    // Four cards over 400 days: each card's rows are trimmed at its history horizon all along,
    // so its block fills with trimmed rows (slid down) as well as growing in bursts.
    const { transactions, labels } = makeHistory({ count: 1600, seed: 23, cards: 4, days: 400 });
    expectOracleAgreement(transactions, labels);
  });
});
