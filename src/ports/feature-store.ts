import type { Label, Transaction } from '../core/contracts/index.ts';

/**
 * A feature vector in the order of the feature catalogue (`FEATURE_NAMES` in
 * `core/features`). `NaN` means missing (no history yet); it becomes `null` in JSON.
 */
export type FeatureVector = Float64Array;

/**
 * Online feature state: in-memory by default, Redis (`REDIS_URL`) so processor instances
 * share it. The computation itself lives in the pure core; a store only keeps state.
 */
export interface FeatureStore {
  /** `memory-thread`: the in-memory engine on a thread of its own (the embedded default). */
  readonly kind: 'memory' | 'memory-thread' | 'redis';
  /**
   * Returns each transaction's point-in-time features — the state *before* it is applied —
   * and applies it. Idempotent per `transaction_id`: a replay never double-counts.
   */
  enrich(transactions: readonly Transaction[]): Promise<FeatureVector[]>;
  /** Makes labels visible to the label-delayed risk features, each from its `labeled_at`. */
  addLabels(labels: readonly Label[]): Promise<void>;
  close(): Promise<void>;
}
