import { describe, expect, it } from 'vitest';
import { MemoryFeatureStore } from '../../../src/adapters/features-memory/index.ts';
import { BRIEF_EXAMPLE_TRANSACTION, type Transaction } from '../../../src/core/contracts/index.ts';
import {
  DAY_MS,
  FEATURE_COUNT,
  FEATURE_DEFINITIONS,
  FEATURE_NAMES,
  FEATURE_SET_VERSION,
  FeatureEngine,
  featureIndex,
  featuresToRecord,
  MINUTE_MS,
  namedFeatures,
  recordToFeatures,
} from '../../../src/core/features/index.ts';

const T0 = Date.parse('2025-01-29T12:00:00Z');
let seq = 0;
function tx(atMs: number, over: Partial<Transaction> = {}): Transaction {
  seq++;
  return {
    ...BRIEF_EXAMPLE_TRANSACTION,
    transaction_id: `t_${seq}`,
    timestamp: new Date(atMs).toISOString(),
    ...over,
  };
}
const f = (v: Float64Array, name: string) => {
  const i = featureIndex(name);
  if (i < 0) throw new Error(`no feature ${name}`);
  return v[i]!;
};

describe('catalogue', () => {
  it('has unique names, every definition complete, and a versioned feature set', () => {
    expect(new Set(FEATURE_NAMES).size).toBe(FEATURE_NAMES.length);
    expect(FEATURE_NAMES.length).toBe(FEATURE_COUNT);
    for (const d of FEATURE_DEFINITIONS) {
      expect(d.name).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(d.description.length).toBeGreaterThan(10);
      expect(d.version).toBeGreaterThanOrEqual(1);
      if (d.window) expect(d.window.ms).toBeGreaterThan(0);
    }
    expect(FEATURE_SET_VERSION).toMatch(/^fs-\d+-[0-9a-f]{8}$/);
  });

  it('covers the minimum feature list of issue #3', () => {
    for (const e of ['card', 'customer'])
      for (const w of ['1m', '10m', '1h', '24h', '7d', '30d']) {
        expect(FEATURE_NAMES).toContain(`${e}_count_${w}`);
        expect(FEATURE_NAMES).toContain(`${e}_amount_sum_${w}`);
      }
    for (const e of ['merchant', 'category', 'device', 'ip'])
      for (const w of ['1d', '7d', '28d']) {
        expect(FEATURE_NAMES).toContain(`${e}_fraud_rate_${w}`);
        expect(FEATURE_NAMES).toContain(`${e}_fraud_count_${w}`);
      }
    for (const n of [
      'card_impossible_travel',
      'customer_amount_zscore_30d',
      'is_night',
      'is_weekend',
      'card_present',
    ])
      expect(FEATURE_NAMES).toContain(n);
  });

  it('turns missing (NaN) into null and back', () => {
    const v = new Float64Array(FEATURE_COUNT).fill(1);
    v[3] = Number.NaN;
    const rec = featuresToRecord(v);
    expect(rec[FEATURE_NAMES[3]!]).toBeNull();
    expect(rec[FEATURE_NAMES[0]!]).toBe(1);
    const back = recordToFeatures(rec);
    expect(Number.isNaN(back[3]!)).toBe(true);
    expect(back[0]).toBe(1);
  });

  it("names an enriched record's features in either form, and only a vector of this feature set", () => {
    const v = new Float64Array(FEATURE_COUNT).map((_, i) => i);
    v[3] = Number.NaN;
    const rec = featuresToRecord(v);
    const vector = Array.from(v, (x) => (Number.isNaN(x) ? null : x));
    expect(namedFeatures(vector, FEATURE_SET_VERSION)).toEqual(rec);
    expect(namedFeatures(rec, FEATURE_SET_VERSION)).toEqual(rec);
    // An object names itself, whatever its version.
    expect(namedFeatures({ a: 1 }, 'fs-other')).toEqual({ a: 1 });
    // A vector of another feature set, or of another length, has no names here.
    expect(namedFeatures(vector, 'fs-other')).toBeUndefined();
    expect(namedFeatures(vector.slice(1), FEATURE_SET_VERSION)).toBeUndefined();
  });
});

describe('point-in-time semantics', () => {
  it('describes the state before the transaction: the first one sees nothing, never itself', () => {
    const e = new FeatureEngine();
    const v = e.enrich(tx(T0));
    expect(f(v, 'card_count_30d')).toBe(0);
    expect(f(v, 'card_amount_sum_30d')).toBe(0);
    expect(Number.isNaN(f(v, 'card_seconds_since_previous'))).toBe(true);
    expect(Number.isNaN(f(v, 'customer_amount_ratio_to_mean_30d'))).toBe(true);
    const v2 = e.enrich(tx(T0 + 1000, { amount: 10 }));
    expect(f(v2, 'card_count_1m')).toBe(1);
    expect(f(v2, 'card_amount_sum_1m')).toBe(BRIEF_EXAMPLE_TRANSACTION.amount);
    expect(f(v2, 'card_seconds_since_previous')).toBe(1);
  });

  it('uses exact sliding windows (t − w, t]: an event exactly w old is out, 1 ms younger is in', () => {
    const e = new FeatureEngine();
    e.enrich(tx(T0));
    e.enrich(tx(T0 + 1));
    const atBoundary = e.enrich(tx(T0 + MINUTE_MS));
    // T0 is exactly 1 min old → outside (t − 1m, t]; T0+1 is inside.
    expect(f(atBoundary, 'card_count_1m')).toBe(1);
    expect(f(atBoundary, 'card_count_10m')).toBe(2);
  });

  it('orders equal timestamps by transaction id hash: of two simultaneous events exactly one precedes the other', () => {
    const e = new FeatureEngine();
    const ta = tx(T0);
    const tb = tx(T0);
    e.enrich(ta);
    e.enrich(tb);
    // With both in the state, recomputing (a replay) shows the order is total and stable.
    const a = e.enrich(ta);
    const b = e.enrich(tb);
    expect(f(a, 'card_count_1m') + f(b, 'card_count_1m')).toBe(1);
    expect(e.stats().applied).toBe(2);
  });

  it('never lets a late event see events from its future', () => {
    const e = new FeatureEngine();
    e.enrich(tx(T0));
    e.enrich(tx(T0 + 2 * MINUTE_MS));
    const late = e.enrich(tx(T0 + 30_000)); // arrives last, happened second
    expect(f(late, 'card_count_1m')).toBe(1);
    expect(f(late, 'card_seconds_since_previous')).toBe(30);
    expect(e.stats().lateEvents).toBe(0); // 90 s late, within the 5 min allowed lateness
  });

  it('late within the allowed lateness: exact, as if it had arrived in order', () => {
    const times = [0, 10, 20, 30, 40].map((m) => T0 + m * DAY_MS);
    const inOrder = new FeatureEngine();
    const shuffled = new FeatureEngine({ allowedLatenessMs: 5 * MINUTE_MS });
    const txs = times.map((t) => tx(t));
    const lateTx = tx(T0 + 40 * DAY_MS - 4 * MINUTE_MS);
    for (const t of [...txs.slice(0, 4), lateTx, txs[4]!]) inOrder.enrich(t);
    for (const t of txs) shuffled.enrich(t);
    const a = inOrder.enrich(lateTx); // replay → recomputed from the same state
    const b = shuffled.enrich(lateTx);
    expect([...b]).toEqual([...a]);
    expect(shuffled.stats().lateEvents).toBe(0);
  });

  it('beyond the allowed lateness: still enriched and applied, counted, with windows reaching into evicted state truncated', () => {
    const e = new FeatureEngine({ allowedLatenessMs: MINUTE_MS });
    e.enrich(tx(T0));
    e.enrich(tx(T0 + 40 * DAY_MS)); // evicts T0 (older than 30 d + 1 min)
    const late = e.enrich(tx(T0 + 20 * DAY_MS)); // 20 days late
    expect(e.stats().lateEvents).toBe(1);
    // Exactly, T0 is inside its 30-day window; it was evicted, so the late event cannot see it.
    expect(f(late, 'card_count_30d')).toBe(0);
    const after = e.enrich(tx(T0 + 40 * DAY_MS + 1000));
    expect(f(after, 'card_count_30d')).toBe(2); // the late event was applied
  });
});

describe('idempotency per transaction_id', () => {
  it('a replay returns the same vector and never double-counts', async () => {
    const store = new MemoryFeatureStore();
    const batch = [tx(T0), tx(T0 + 1000), tx(T0 + 2000, { device_id: 'dev_2', merchant_id: 'm_2' })];
    const first = await store.enrich(batch);
    const again = await store.enrich(batch);
    for (let i = 0; i < batch.length; i++) expect([...again[i]!]).toEqual([...first[i]!]);
    const next = await store.enrich([tx(T0 + 3000)]);
    expect(f(next[0]!, 'card_count_1m')).toBe(3);
    expect(f(next[0]!, 'merchant_fraud_rate_1d')).toBe(0); // 0 frauds over 3 earlier transactions, not 6
    expect(store.stats().replays).toBe(3);
    expect(store.stats().applied).toBe(4);
  });
});

describe('label-delayed risk', () => {
  it('counts a fraud label only from its labeled_at, once, whatever its delivery time', async () => {
    const store = new MemoryFeatureStore();
    const fraudTx = tx(T0, { merchant_id: 'm_risky' });
    await store.enrich([fraudTx]);
    const labeledAt = T0 + 10 * DAY_MS;
    // Delivered early (before labeled_at in event time) and twice: visible only from labeled_at.
    const label = {
      transaction_id: fraudTx.transaction_id,
      is_fraud: true,
      labeled_at: new Date(labeledAt).toISOString(),
    };
    await store.addLabels([label, label]);
    const [before] = await store.enrich([tx(labeledAt - 1, { merchant_id: 'm_risky' })]);
    const [at] = await store.enrich([tx(labeledAt, { merchant_id: 'm_risky' })]);
    expect(f(before!, 'merchant_fraud_count_28d')).toBe(0);
    expect(f(at!, 'merchant_fraud_count_28d')).toBe(1);
    expect(f(at!, 'merchant_fraud_count_7d')).toBe(1);
    expect(f(at!, 'merchant_fraud_rate_28d')).toBe(1 / 2); // 1 fraud over the 2 earlier transactions in 28 d
    const [later] = await store.enrich([tx(labeledAt + 2 * DAY_MS, { merchant_id: 'm_risky' })]);
    expect(f(later!, 'merchant_fraud_count_1d')).toBe(0);
    expect(f(later!, 'merchant_fraud_count_7d')).toBe(1);
    expect(store.stats().labelsDuplicate).toBe(1);
  });

  it('a label delivered late is visible only to transactions enriched after it arrives (online cannot know earlier)', async () => {
    const store = new MemoryFeatureStore();
    const fraudTx = tx(T0, { merchant_id: 'm_late_label' });
    await store.enrich([fraudTx]);
    const labeledAt = T0 + 10 * DAY_MS;
    const [missed] = await store.enrich([tx(labeledAt + 1, { merchant_id: 'm_late_label' })]);
    await store.addLabels([
      {
        transaction_id: fraudTx.transaction_id,
        is_fraud: true,
        labeled_at: new Date(labeledAt).toISOString(),
      },
    ]);
    const [seen] = await store.enrich([tx(labeledAt + 2, { merchant_id: 'm_late_label' })]);
    expect(f(missed!, 'merchant_fraud_count_28d')).toBe(0);
    expect(f(seen!, 'merchant_fraud_count_28d')).toBe(1);
  });

  it('holds a label that arrives before its transaction until the transaction arrives', async () => {
    const store = new MemoryFeatureStore();
    const t1 = tx(T0, { device_id: 'dev_x' });
    await store.addLabels([
      { transaction_id: t1.transaction_id, is_fraud: true, labeled_at: new Date(T0 + 1000).toISOString() },
    ]);
    expect(store.stats().labelsPending).toBe(1);
    await store.enrich([t1]);
    const [v] = await store.enrich([tx(T0 + 2000, { device_id: 'dev_x' })]);
    expect(f(v!, 'device_fraud_count_1d')).toBe(1);
    expect(store.stats().labelsPending).toBe(0);
  });

  it('ignores non-fraud labels for the fraud counts', async () => {
    const store = new MemoryFeatureStore();
    const t1 = tx(T0, { ip_address: '10.9.9.9' });
    await store.enrich([t1]);
    await store.addLabels([
      { transaction_id: t1.transaction_id, is_fraud: false, labeled_at: new Date(T0 + 1).toISOString() },
    ]);
    const [v] = await store.enrich([tx(T0 + 2000, { ip_address: '10.9.9.9' })]);
    expect(f(v!, 'ip_fraud_count_1d')).toBe(0);
    expect(f(v!, 'ip_fraud_rate_1d')).toBe(0);
  });
});

describe('bounded state', () => {
  it('evicts idle entities and expired label-index entries', () => {
    const e = new FeatureEngine({ sweepEvery: 1_000, labelHorizonMs: 40 * DAY_MS });
    for (let i = 0; i < 2_000; i++)
      e.enrich(tx(T0 + i, { card_id: `c_${i}`, customer_id: `u_${i}`, device_id: `d_${i}` }));
    expect(e.stats().cards).toBe(2_000);
    // 100 days later, one more transaction per 1,000: everything old is past every window.
    for (let i = 0; i < 1_000; i++)
      e.enrich(tx(T0 + 100 * DAY_MS + i, { card_id: 'c_new', customer_id: 'u_new', device_id: 'd_new' }));
    const s = e.stats();
    expect(s.cards).toBe(1);
    expect(s.customers).toBe(1);
    expect(s.devices).toBe(1);
    expect(s.labelIndex).toBe(1_000);
  });

  it('holds the one row of a device or IP seen once off the heap, and features agree when it is seen again', () => {
    const e = new FeatureEngine({ sweepEvery: 1_000 });
    // Each transaction on its own device and IP: all single rows.
    for (let i = 0; i < 500; i++)
      e.enrich(
        tx(T0 + i * MINUTE_MS, {
          card_id: `c_${i % 7}`,
          device_id: `d_${i}`,
          ip_address: `10.0.${i >> 8}.${i & 255}`,
        }),
      );
    expect(e.stats().pooledRows).toBe(1_000);
    // d_1 again, from a second card, later and then earlier than its first row (a late event):
    // its rows move to an array, and each transaction counts exactly the rows preceding it.
    const later = e.enrich(
      tx(T0 + 600 * MINUTE_MS, { card_id: 'c_x', device_id: 'd_1', ip_address: '10.0.0.1' }),
    );
    expect(f(later, 'device_distinct_cards_24h')).toBe(1);
    expect(f(later, 'ip_distinct_cards_24h')).toBe(1);
    const late = e.enrich(
      tx(T0 + 600 * MINUTE_MS - 2, { card_id: 'c_y', device_id: 'd_1', ip_address: '10.0.0.1' }),
    );
    expect(f(late, 'device_distinct_cards_24h')).toBe(1);
    expect(f(late, 'device_distinct_cards_7d')).toBe(1);
    const third = e.enrich(
      tx(T0 + 601 * MINUTE_MS, { card_id: 'c_z', device_id: 'd_1', ip_address: '10.0.0.1' }),
    );
    expect(f(third, 'device_distinct_cards_24h')).toBe(3);
    expect(f(third, 'ip_distinct_cards_7d')).toBe(3);
    expect(e.stats().pooledRows).toBe(998);
    // A second row earlier than the pooled one (a late event) goes first: a transaction
    // between the two sees only the earlier one.
    // (The fraud rate shows the count: one fraud over the one earlier transaction.)
    const l = new FeatureEngine();
    l.enrich(tx(T0 + 10 * MINUTE_MS, { card_id: 'c_a', device_id: 'd_z' }));
    const early = tx(T0 + 5 * MINUTE_MS, { card_id: 'c_b', device_id: 'd_z' });
    l.enrich(early);
    l.addLabel(early.transaction_id, true, T0 + 6 * MINUTE_MS);
    const between = l.enrich(tx(T0 + 7 * MINUTE_MS, { card_id: 'c_c', device_id: 'd_z' }));
    expect(f(between, 'device_distinct_cards_24h')).toBe(1);
    expect(f(between, 'device_fraud_rate_1d')).toBe(1);
    // 100 days later every single row is past every window: swept, and the slots are back.
    for (let i = 0; i < 1_000; i++)
      e.enrich(tx(T0 + 100 * DAY_MS + i, { card_id: 'c_new', device_id: 'd_new' }));
    expect(e.stats().devices).toBe(1);
    expect(e.stats().pooledRows).toBe(0);
    // A device seen again after its row was forgotten starts from nothing.
    const again = e.enrich(tx(T0 + 100 * DAY_MS + 5_000, { card_id: 'c_q', device_id: 'd_2' }));
    expect(f(again, 'device_distinct_cards_7d')).toBe(0);
  });

  it('credits a late fraud label to nothing of an evicted entity, not to a newer entity that took its place', () => {
    const e = new FeatureEngine({ sweepEvery: 1 });
    const old = tx(T0, { card_id: 'c_1', device_id: 'd_1', ip_address: '10.1.1.1' });
    e.enrich(old);
    // 100 days on, the sweep evicts d_1 and 10.1.1.1 (idle past every window); the old
    // transaction stays in the label index (120-day horizon). New entities come after.
    e.enrich(tx(T0 + 100 * DAY_MS, { card_id: 'c_2', device_id: 'd_x', ip_address: '10.9.9.9' }));
    e.enrich(tx(T0 + 100 * DAY_MS + MINUTE_MS, { card_id: 'c_3', device_id: 'd_2', ip_address: '10.2.2.2' }));
    e.addLabel(old.transaction_id, true, T0 + 100 * DAY_MS + 2 * MINUTE_MS);
    const v = e.enrich(
      tx(T0 + 100 * DAY_MS + 3 * MINUTE_MS, { card_id: 'c_3', device_id: 'd_2', ip_address: '10.2.2.2' }),
    );
    expect(f(v, 'device_fraud_count_1d')).toBe(0);
    expect(f(v, 'ip_fraud_count_1d')).toBe(0);
    // Its merchant and category are still live (the same for every transaction here): credited.
    expect(f(v, 'merchant_fraud_count_1d')).toBe(1);
    expect(f(v, 'category_fraud_count_1d')).toBe(1);
  });

  it('caps the label index, oldest first: a label for an evicted transaction no longer counts', () => {
    const e = new FeatureEngine({ sweepEvery: 100, maxLabelIndex: 250 });
    const txs = Array.from({ length: 1_000 }, (_, i) => tx(T0 + i * MINUTE_MS, { card_id: `c_${i % 50}` }));
    for (const t of txs) e.enrich(t);
    const s = e.stats();
    expect(s.labelIndex).toBeLessThanOrEqual(250);
    expect(s.labelIndexEvicted).toBe(1_000 - s.labelIndex);
    // The newest is still indexed: its fraud label applies. The oldest was evicted: it waits.
    e.addLabel(txs[999]!.transaction_id, true, T0 + 2 * DAY_MS);
    e.addLabel(txs[0]!.transaction_id, true, T0 + 2 * DAY_MS);
    const after = e.stats();
    expect(after.labelsApplied).toBe(1);
    expect(after.labelsPending).toBe(1);
  });
});
