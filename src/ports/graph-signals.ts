import type { Transaction } from '../core/contracts/index.ts';

/** Graph-derived risk signals for one transaction's entities (null = unknown). */
export interface GraphSignals {
  readonly [name: string]: number | null;
}

/**
 * Graph port: Neo4j (`NEO4J_URI`) or an in-process graph. The decision path reads signals
 * from an incrementally maintained cache and never waits on a database round trip.
 */
export interface GraphSignalSource {
  readonly kind: 'memory' | 'neo4j' | 'none';
  /** Cached signals, or `undefined` when missing or stale (the decision records that). */
  signalsFor(transaction: Transaction): GraphSignals | undefined;
  /**
   * Feeds decided transactions to the graph (batched, idempotent). Takes anything that carries
   * the transaction (an enriched record, a decision result): the graph needs no features.
   */
  observe(batch: readonly { readonly transaction: Transaction }[]): Promise<void>;
  close(): Promise<void>;
}
