/**
 * Ingestor: the seeded transaction simulator (issue 2, item 4) and bring-your-own-data import
 * (issue 5, item 1). The simulator is pure; the CLI commands `simulate` and `dataset` do the I/O.
 */

export {
  csvField,
  DERIVED_FIELDS,
  type ImportSpec,
  type ImportSummary,
  labelConverter,
  parseAssignments,
  streamImport,
  TRANSACTION_FIELDS,
  transactionConverter,
} from './dataset-import.ts';
export { withIdPrefix } from './id-prefix.ts';
export { isoUtc } from './iso-time.ts';
export { compareLabels, LABELS_CSV_HEADER, labelCsvRow, parseLabelsCsv } from './labels-csv.ts';
export { type LiveFeedOptions, type LiveFeedResult, runLiveFeed } from './live.ts';
export type { Customer, Merchant, Population, RiskLevel } from './population.ts';
export { Rng } from './prng.ts';
export {
  createSimulator,
  DEFAULT_SCENARIO_MIX,
  REVIEWED_LEGIT_SCENARIOS,
  SCENARIOS,
  type Scenario,
  type SimulatedEvent,
  type Simulator,
  type SimulatorOptions,
  type SimulatorStats,
  transactionJson,
} from './simulator.ts';
export { type DateOrder, parseTimestamp, type ZoneResolver, zoneResolver } from './timestamps.ts';
export { CATEGORIES, COUNTRIES, type CountryProfile, countryDistanceKm, simulatedIpInfo } from './world.ts';
