export { encodeValues } from './encode.ts';
export {
  alertJson,
  ENRICHED_FEATURE_FORMS,
  EnrichedEncoder,
  type EnrichedFeatureForm,
  enrichedJson,
  featuresJson,
  scoreJson,
} from './serialize.ts';
