/**
 * The TypeScript side of the ML pipeline (issue 5): training orchestration (backfill →
 * ml/training/train_model.py), batch scoring and backtests, evaluation, champion/challenger
 * comparison, the label store and retraining. See docs/ml.md.
 */
export { FileLabelStore } from './labels.ts';
export {
  averagePrecision,
  calibration,
  cardPrecisionAtK,
  evaluateScores,
  metricsTable,
  recallAtFpr,
  rocAuc,
  type ScoredRow,
  thresholdAtFpr,
  type WindowMetrics,
} from './metrics.ts';
export { type RetrainOptions, type RetrainResult, retrain } from './retrain.ts';
export {
  decide,
  evaluateScoresFile,
  inWindow,
  parseInstant,
  readFeaturesCsv,
  readLabelMap,
  readScoresCsv,
  SCORES_HEADER,
  type ScoreHistoryOptions,
  type ScoreHistorySummary,
  scoreHistory,
  type Thresholds,
  type TimeWindow,
} from './scoring.ts';
export {
  ALGORITHMS,
  type Algorithm,
  compareOnFeatures,
  computeFeatures,
  python,
  runPython,
  type TrainOptions,
  type TrainSummary,
  train,
} from './train.ts';
