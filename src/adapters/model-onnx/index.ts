/**
 * The ModelScorer port on ONNX Runtime (onnxruntime-node): models trained by ml/ (XGBoost,
 * LightGBM, logistic regression), loaded from a directory or the MLflow registry, with
 * TreeSHAP explanations and hot swap. See docs/ml.md.
 */
export { type Attribution, createExplainer, type Explainer, type ExplainJson } from './explain.ts';
export {
  isRegistrySpec,
  parseRegistrySpec,
  type ResolvedModel,
  resolveRegistrySpec,
  trackingUri,
} from './registry.ts';
export {
  type LoadModelOptions,
  loadModel,
  type ModelMetadata,
  type OnnxModel,
  readModelMetadata,
} from './scorer.ts';
export {
  MODEL_EVENT_TYPE,
  type ModelEvent,
  type ModelSlot,
  ModelWatcher,
  type ModelWatcherOptions,
  modelEvent,
  type PlatformModelsOptions,
  startModelWatchers,
} from './watch.ts';
