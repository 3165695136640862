import type { Contribution } from '../core/contracts/index.ts';
import type { FeatureVector } from './feature-store.ts';

/** An ML model served in-process (ONNX via onnxruntime-node). */
export interface ModelScorer {
  /** Goes into `model_version` on every score. */
  readonly version: string;
  /** Fraud probabilities in [0,1], one per vector, in order. Batched in the processor. */
  score(vectors: readonly FeatureVector[]): Promise<Float64Array>;
  /**
   * Top signed feature contributions per vector, for review and block decisions. May run off
   * the caller's thread; never rejects for a vector the model could score.
   */
  explainMany(vectors: readonly FeatureVector[], top?: number): Promise<Contribution[][]>;
  close(): Promise<void>;
}
