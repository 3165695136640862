// PLACEHOLDER catalogue, replaced by the features issue (#3): the full declarative
// definitions, exact sliding windows and the state engine live here.
export const FEATURE_SET_VERSION = 'fs-0';
export const FEATURE_NAMES = ['card_count_1h', 'amount'] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** The vector as JSON: NaN (missing) becomes null. */
export function featuresToRecord(vector: Float64Array): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (let i = 0; i < FEATURE_NAMES.length; i++) {
    const v = vector[i]!;
    out[FEATURE_NAMES[i]!] = Number.isNaN(v) ? null : v;
  }
  return out;
}
