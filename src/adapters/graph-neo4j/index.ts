/**
 * Graph factories for the composition root. Neo4j when `NEO4J_URI` is set, else the embedded
 * in-process graph. `neo4j-driver` is imported only when Neo4j is configured.
 */

import type { PlatformConfig } from '../../config/index.ts';
import type { Label } from '../../core/contracts/index.ts';
import type { GraphBackend } from '../../core/graph/index.ts';
import type { GraphSignalSource } from '../../ports/graph-signals.ts';
import type { MemoryGraph } from '../graph-memory/index.ts';
import type { Neo4jGraph } from './backend.ts';
import type { Neo4jSignalOptions } from './signals.ts';

/** Transactions the embedded decision-side graph remembers (case view, replay detection). */
export const EMBEDDED_MAX_TRANSACTIONS = 2_000_000;

/** A signal source that also takes confirmed-fraud labels (wire the `labels` topic to it). */
export type LabelledGraphSignalSource = GraphSignalSource & {
  addLabels(labels: readonly Label[]): Promise<void>;
};

/**
 * The decision path's graph signal source: in-process when `NEO4J_URI` is unset, otherwise the
 * Neo4j-refreshed cache (started; first refresh in the background). Never a per-transaction
 * database call either way.
 */
export async function createGraphSignalSource(
  config: PlatformConfig,
  options: Neo4jSignalOptions = {},
): Promise<LabelledGraphSignalSource> {
  if (!config.neo4j) {
    const { MemoryGraph } = await import('../graph-memory/index.ts');
    // Bounded so a long-running embedded pipeline does not grow without limit: the oldest
    // transactions leave the case view first (entities and relations stay).
    return new MemoryGraph({ maxTransactions: EMBEDDED_MAX_TRANSACTIONS });
  }
  const { createDriver } = await import('./backend.ts');
  const { Neo4jGraphSignals } = await import('./signals.ts');
  const driver = createDriver({
    uri: config.neo4j.uri,
    user: config.neo4j.user,
    password: config.neo4j.password,
  });
  return new Neo4jGraphSignals(driver, options).start();
}

/** The analyst/ingestion backend: Neo4j when configured, else a new, empty in-process graph. */
export async function createGraphBackend(config: PlatformConfig): Promise<Neo4jGraph | MemoryGraph> {
  if (!config.neo4j) {
    const { MemoryGraph } = await import('../graph-memory/index.ts');
    return new MemoryGraph();
  }
  const { Neo4jGraph } = await import('./backend.ts');
  return new Neo4jGraph({ uri: config.neo4j.uri, user: config.neo4j.user, password: config.neo4j.password });
}

/**
 * The analyst backend for a process that already holds a signal source (the console, the API):
 * in embedded mode the in-process graph the decisions feed, so analysts see what the engine
 * sees; with Neo4j a Neo4j backend (close it yourself).
 */
export async function graphBackendFor(
  config: PlatformConfig,
  source: GraphSignalSource,
): Promise<GraphBackend> {
  if (!config.neo4j) {
    const { MemoryGraph } = await import('../graph-memory/index.ts');
    if (source instanceof MemoryGraph) return source;
  }
  return createGraphBackend(config);
}

export type { GraphBackend };
