/**
 * The embedded graph (no `NEO4J_URI`): the in-process identity graph answers the same analyst
 * queries as Neo4j and provides the same signals. One object is both the GraphBackend (CLI,
 * HTTP, graph service) and the GraphSignalSource (the live decision), so in a single-process
 * deployment the decision reads exactly what the analyst sees.
 */
import type { Label, Transaction } from '../../core/contracts/index.ts';
import {
  type AnalysisResult,
  BARE_ID_ORDER,
  type EntityRef,
  type GraphBackend,
  type GraphPath,
  type GraphStats,
  type GraphView,
  IdentityGraph,
  type IdentityGraphOptions,
  type NeighbourhoodOptions,
  type PathOptions,
  type Ring,
  type RingOptions,
  type SharedDevice,
  type SharedDeviceOptions,
  toGraphRow,
  type WriteResult,
} from '../../core/graph/index.ts';
import type { GraphSignalSource, GraphSignals } from '../../ports/graph-signals.ts';

/** Bounds shared by both backends, so a caller cannot ask for an unbounded traversal. */
export function clampDepth(value: number | undefined, fallback: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0) return fallback;
  return Math.min(v, max);
}

export class MemoryGraph implements GraphBackend, GraphSignalSource {
  readonly kind = 'memory' as const;
  readonly graph: IdentityGraph;

  constructor(options: IdentityGraphOptions = {}) {
    this.graph = new IdentityGraph(options);
  }

  // -------------------------------------------------------------- GraphSignalSource

  /** Never stale: this process holds the whole embedded graph. */
  signalsFor(transaction: Transaction): GraphSignals {
    return this.graph.signalsFor(transaction);
  }

  async observe(batch: readonly { readonly transaction: Transaction }[]): Promise<void> {
    this.graph.write(batch.map((e) => toGraphRow(e.transaction)));
  }

  /** Confirmed-fraud labels (the `labels` topic) feed `fraud_within_2_hops`. */
  async addLabels(labels: readonly Label[]): Promise<void> {
    this.graph.applyLabels(labels);
  }

  // -------------------------------------------------------------- GraphBackend

  async migrate(): Promise<string[]> {
    return [];
  }

  async write(transactions: readonly Transaction[]): Promise<WriteResult> {
    return this.graph.write(transactions.map(toGraphRow));
  }

  async applyLabels(labels: readonly Label[]): Promise<void> {
    this.graph.applyLabels(labels);
  }

  async sharedDevices(options: SharedDeviceOptions = {}): Promise<SharedDevice[]> {
    return this.graph.sharedDevices(options.moreThan ?? 3, options.limit ?? 100);
  }

  async rings(options: RingOptions & { limit?: number } = {}): Promise<Ring[]> {
    const { analyzeComponents } = await import('../../core/graph/components.ts');
    const g = this.graph;
    return analyzeComponents(g.identityNodes(), g.identityEdges(), g.fraud, options).rings.slice(
      0,
      options.limit ?? 100,
    );
  }

  async resolve(ref: { label: EntityRef['label'] | null; key: string }): Promise<EntityRef | null> {
    const labels = ref.label ? [ref.label] : BARE_ID_ORDER;
    for (const label of labels) if (this.graph.has({ label, key: ref.key })) return { label, key: ref.key };
    return null;
  }

  async path(from: EntityRef, to: EntityRef, options: PathOptions = {}): Promise<GraphPath | null> {
    return this.graph.path(from, to, clampDepth(options.maxDepth, 6, 10));
  }

  async neighbourhood(transactionId: string, options: NeighbourhoodOptions = {}): Promise<GraphView | null> {
    return this.graph.neighbourhood(
      transactionId,
      clampDepth(options.hops, 1, 3),
      clampDepth(options.limit, 200, 5000),
    );
  }

  async analyze(options: RingOptions = {}): Promise<AnalysisResult> {
    const started = performance.now();
    const r = this.graph.analyze(options);
    return {
      rings: r.rings,
      components: r.components,
      cards: r.cardClusterSize.size,
      hubs: r.hubs,
      tookMs: Math.round(performance.now() - started),
    };
  }

  async stats(): Promise<GraphStats> {
    return this.graph.stats();
  }

  async close(): Promise<void> {}
}
