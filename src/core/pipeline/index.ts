export { alertJson, enrichedJson, featuresJson, scoreJson } from './serialize.ts';
