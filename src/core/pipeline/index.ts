export { encodeValues } from './encode.ts';
export { alertJson, enrichedJson, featuresJson, scoreJson } from './serialize.ts';
