/**
 * The analyst and ingestion API over the entity graph, implemented by the in-process graph
 * (`adapters/graph-memory`) and by Neo4j (`adapters/graph-neo4j`). One shared contract suite
 * (`tests/unit/graph/contract.ts`) runs against both and asserts the same answers on the same
 * data. The CLI (`bin/fraud graph …`), the graph service and its HTTP routes use only this.
 */
import type { Label, Transaction } from '../contracts/index.ts';
import type { Ring, RingOptions } from './components.ts';
import type { EntityRef, GraphPath, GraphStats, GraphView, SharedDevice, WriteResult } from './model.ts';

export interface SharedDeviceOptions {
  /** A device is listed when more than this many distinct cards used it. Default 3 (the brief's `size(cards) > 3`). */
  readonly moreThan?: number;
  /** At most this many devices, most cards first. Default 100. */
  readonly limit?: number;
}

export interface PathOptions {
  /** Longest path searched, in relations. Default 6, at most 10. */
  readonly maxDepth?: number;
}

export interface NeighbourhoodOptions {
  /** Identity hops from the transaction's entities. Default 1, at most 3. */
  readonly hops?: number;
  /** Node cap; the view says `truncated` when reached. Default 200. */
  readonly limit?: number;
}

/** What `analyze` found and wrote back. */
export interface AnalysisResult {
  readonly rings: Ring[];
  readonly components: number;
  readonly cards: number;
  readonly hubs: string[];
  /** Wall time of the analysis, ms. */
  readonly tookMs: number;
}

export interface GraphBackend {
  readonly kind: 'memory' | 'neo4j';
  /** Creates constraints and indexes (idempotent). A no-op in memory. */
  migrate(): Promise<string[]>;
  /** Upserts a batch; idempotent per `transaction_id` (a replay changes nothing). */
  write(transactions: readonly Transaction[]): Promise<WriteResult>;
  /** Confirmed-fraud labels flag the transaction's Card, Device, IP and Customer. */
  applyLabels(labels: readonly Label[]): Promise<void>;
  /** The brief's query, with its threshold as a parameter. Sorted by card count desc, then device id. */
  sharedDevices(options?: SharedDeviceOptions): Promise<SharedDevice[]>;
  /** Connected components over shared identifiers with at least `minCards` cards. */
  rings(options?: RingOptions & { readonly limit?: number }): Promise<Ring[]>;
  /** A shortest path over identity relations, or null when none within `maxDepth`. */
  path(from: EntityRef, to: EntityRef, options?: PathOptions): Promise<GraphPath | null>;
  /** Resolves `card_1` (bare) or `Customer:c1` to a node that exists, or null. */
  resolve(ref: { label: EntityRef['label'] | null; key: string }): Promise<EntityRef | null>;
  /** The case view of a transaction; null when the transaction is unknown. */
  neighbourhood(transactionId: string, options?: NeighbourhoodOptions): Promise<GraphView | null>;
  /** Rings + cluster sizes, written back onto Card nodes (`cluster_size`, `ring_id`, `ring_score`). */
  analyze(options?: RingOptions): Promise<AnalysisResult>;
  stats(): Promise<GraphStats>;
  close(): Promise<void>;
}
