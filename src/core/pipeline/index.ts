export { encodeValues } from './encode.ts';
export { alertJson, EnrichedEncoder, enrichedJson, featuresJson, scoreJson } from './serialize.ts';
