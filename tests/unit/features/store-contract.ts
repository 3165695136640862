import { describe, expect, it } from 'vitest';
import {
  BRIEF_EXAMPLE_TRANSACTION,
  type Label,
  type Transaction,
} from '../../../src/core/contracts/index.ts';
import { DAY_MS, featureIndex, MINUTE_MS } from '../../../src/core/features/index.ts';
import type { FeatureStore } from '../../../src/ports/index.ts';

/**
 * The FeatureStore port's contract, one suite every adapter passes (memory in the unit lane,
 * real Redis in the integration lane). `make` must return a store with empty state.
 */
export function featureStoreContract(name: string, make: () => Promise<FeatureStore>): void {
  const T0 = Date.parse('2025-01-29T12:00:00Z');
  let seq = 0;
  const tx = (atMs: number, over: Partial<Transaction> = {}): Transaction => ({
    ...BRIEF_EXAMPLE_TRANSACTION,
    transaction_id: `ct_${process.pid}_${++seq}`,
    timestamp: new Date(atMs).toISOString(),
    ...over,
  });
  const label = (t: Transaction, atMs: number, isFraud = true): Label => ({
    transaction_id: t.transaction_id,
    is_fraud: isFraud,
    labeled_at: new Date(atMs).toISOString(),
  });
  const f = (v: Float64Array | undefined, n: string) => v![featureIndex(n)]!;

  describe(`FeatureStore contract: ${name}`, () => {
    it('returns the state before each transaction, in batch order, never the transaction itself', async () => {
      const s = await make();
      const card = `card_${seq}_a`;
      const [a, b] = await s.enrich([tx(T0, { card_id: card }), tx(T0 + 1000, { card_id: card, amount: 7 })]);
      expect(f(a, 'card_count_1m')).toBe(0);
      expect(f(b, 'card_count_1m')).toBe(1);
      expect(f(b, 'card_amount_sum_1m')).toBe(BRIEF_EXAMPLE_TRANSACTION.amount);
      expect(f(b, 'card_seconds_since_previous')).toBe(1);
      await s.close();
    });

    it('uses exact (t − w, t] windows and never lets a late event see its future', async () => {
      const s = await make();
      const card = `card_${seq}_b`;
      await s.enrich([
        tx(T0, { card_id: card }),
        tx(T0 + 1, { card_id: card }),
        tx(T0 + 2 * MINUTE_MS, { card_id: card }),
      ]);
      const [late] = await s.enrich([tx(T0 + MINUTE_MS, { card_id: card })]);
      expect(f(late, 'card_count_1m')).toBe(1); // T0 is exactly 1 min old: out; T0+1: in; T0+2min: future
      expect(f(late, 'card_count_10m')).toBe(2);
      await s.close();
    });

    it('is idempotent per transaction_id: a replay returns the same vector and counts nothing twice', async () => {
      const s = await make();
      const card = `card_${seq}_c`;
      const batch = [
        tx(T0, { card_id: card }),
        tx(T0 + 1000, { card_id: card }),
        tx(T0 + 2000, { card_id: card }),
      ];
      const first = await s.enrich(batch);
      const again = await s.enrich(batch);
      for (let i = 0; i < batch.length; i++) expect([...again[i]!]).toEqual([...first[i]!]);
      const [next] = await s.enrich([tx(T0 + 3000, { card_id: card })]);
      expect(f(next, 'card_count_1m')).toBe(3);
      await s.close();
    });

    it('counts a fraud label only from its labeled_at, once, and ignores non-fraud labels', async () => {
      const s = await make();
      const merchant = `m_${seq}_risky`;
      const fraudTx = tx(T0, { merchant_id: merchant });
      const legitTx = tx(T0 + 1, { merchant_id: merchant });
      await s.enrich([fraudTx, legitTx]);
      const at = T0 + 10 * DAY_MS;
      await s.addLabels([label(fraudTx, at), label(fraudTx, at), label(legitTx, at, false)]);
      const [before] = await s.enrich([tx(at - 1, { merchant_id: merchant })]);
      const [atLabel] = await s.enrich([tx(at, { merchant_id: merchant })]);
      expect(f(before, 'merchant_fraud_count_28d')).toBe(0);
      expect(f(atLabel, 'merchant_fraud_count_28d')).toBe(1);
      expect(f(atLabel, 'merchant_fraud_rate_28d')).toBe(1 / 3);
      await s.close();
    });

    it('holds a label that arrives before its transaction', async () => {
      const s = await make();
      const device = `dev_${seq}_early`;
      const t1 = tx(T0, { device_id: device });
      await s.addLabels([label(t1, T0 + 1000)]);
      await s.enrich([t1]);
      const [v] = await s.enrich([tx(T0 + 2000, { device_id: device })]);
      expect(f(v, 'device_fraud_count_1d')).toBe(1);
      await s.close();
    });
  });
}
