import type { Label, Transaction } from '../../core/contracts/index.ts';
import { FEATURE_NAMES } from '../../core/features/index.ts';
import type { FeatureStore, FeatureVector } from '../../ports/index.ts';

// PLACEHOLDER, replaced by the features issue (#3).
export class MemoryFeatureStore implements FeatureStore {
  readonly kind = 'memory' as const;
  private readonly cardTimes = new Map<string, number[]>();
  private readonly seen = new Set<string>();

  async enrich(transactions: readonly Transaction[]): Promise<FeatureVector[]> {
    return transactions.map((tx) => {
      const t = Date.parse(tx.timestamp);
      const times = (this.cardTimes.get(tx.card_id) ?? []).filter((x) => x > t - 3_600_000);
      const v = new Float64Array(FEATURE_NAMES.length);
      v[0] = times.filter((x) => x < t).length;
      v[1] = tx.amount;
      if (!this.seen.has(tx.transaction_id)) {
        this.seen.add(tx.transaction_id);
        times.push(t);
      }
      this.cardTimes.set(tx.card_id, times);
      return v;
    });
  }
  async addLabels(_labels: readonly Label[]): Promise<void> {}
  async close(): Promise<void> {}
}
