/**
 * Real-time features: the declarative catalogue, the pure computation and the in-process
 * state engine. See docs/features.md for the semantics and docs/feature-catalogue.md for
 * the generated list.
 */
import { FEATURE_NAMES, FEATURE_SET_VERSION } from './definitions.ts';

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

/**
 * The features of an `enriched-transactions` record by name, whichever form it carries: an
 * object by name as it is; a vector named by this build's catalogue when this feature set wrote
 * it (same `feature_set_version`). Undefined for a vector of another feature set, whose names
 * this build does not know.
 */
export function namedFeatures(
  features: readonly (number | null)[] | Readonly<Record<string, number | null>>,
  featureSetVersion: string,
): Record<string, number | null> | undefined {
  if (!Array.isArray(features)) return { ...(features as Record<string, number | null>) };
  if (featureSetVersion !== FEATURE_SET_VERSION || features.length !== FEATURE_NAMES.length) return undefined;
  const out: Record<string, number | null> = {};
  for (let i = 0; i < FEATURE_NAMES.length; i++) out[FEATURE_NAMES[i]!] = features[i] ?? null;
  return out;
}
