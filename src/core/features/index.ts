/**
 * Real-time features: the declarative catalogue, the pure computation and the in-process
 * state engine. See docs/features.md for the semantics and docs/feature-catalogue.md for
 * the generated list.
 */
import { FEATURE_NAMES } from './definitions.ts';

export * from './compute.ts';
export * from './definitions.ts';
export {
  FeatureEngine,
  type FeatureEngineOptions,
  type FeatureEngineStats,
  type FeatureInput,
} from './engine.ts';
export { ENTITY_KINDS, mayBePending } from './reduce.ts';

export type FeatureName = string;

/** The vector as JSON (enriched records, API): NaN (missing) becomes null. */
export function featuresToRecord(vector: Float64Array): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (let i = 0; i < FEATURE_NAMES.length; i++) {
    const v = vector[i]!;
    out[FEATURE_NAMES[i]!] = Number.isNaN(v) ? null : v;
  }
  return out;
}

/**
 * The inverse of `featuresToRecord`: a vector in catalogue order from a record (an enriched
 * record, a CSV row, a model request). Absent or null features become NaN (missing).
 */
export function recordToFeatures(record: Readonly<Record<string, number | null | undefined>>): Float64Array {
  const v = new Float64Array(FEATURE_NAMES.length);
  for (let i = 0; i < FEATURE_NAMES.length; i++) {
    const x = record[FEATURE_NAMES[i]!];
    v[i] = typeof x === 'number' ? x : Number.NaN;
  }
  return v;
}
