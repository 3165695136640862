import type { Neighbourhood } from '../../adapters/store-postgres/index.ts';
import type { GraphBackend } from '../../core/graph/backend.ts';

/** What the case view asks for: the case card and its most recent alerted transaction. */
export interface NeighbourhoodQuery {
  readonly card_id: string;
  readonly transaction_id: string | null;
}

/**
 * The case view's neighbourhood from the graph service (Neo4j or in-memory graph), in the
 * console's drawing shape: identity nodes (`card:…`, `device:…`, `ip:…`, `customer:…`,
 * `merchant:…`) and the relations between them. Transaction nodes and their INVOLVES edges
 * are left out: they would double every edge of the drawing without adding a relation.
 * Returns null when the graph does not know the transaction (the store's view is used then).
 */
export function neighbourhoodFromGraph(
  backend: GraphBackend,
  options: { hops?: number; limit?: number } = {},
) {
  return async (q: NeighbourhoodQuery): Promise<Neighbourhood | null> => {
    if (!q.transaction_id) return null;
    const view = await backend.neighbourhood(q.transaction_id, {
      hops: options.hops ?? 2,
      limit: options.limit ?? 150,
    });
    if (!view) return null;
    const id = (label: string, key: string) => `${label.toLowerCase()}:${key}`;
    const byViewId = new Map<string, string>();
    const nodes: Neighbourhood['nodes'] = [];
    for (const n of view.nodes) {
      if (n.label === 'Transaction') continue;
      const nid = id(n.label, n.key);
      byViewId.set(n.id, nid);
      nodes.push({
        id: nid,
        kind: n.label.toLowerCase(),
        label: n.key,
        ...(n.fraud ? { fraud: true } : {}),
        ...(n.label === 'Card' && n.key === q.card_id ? { center: true } : {}),
      });
    }
    const edges: Neighbourhood['edges'] = [];
    for (const e of view.edges) {
      const source = byViewId.get(e.source);
      const target = byViewId.get(e.target);
      if (!source || !target || e.type === 'INVOLVES') continue;
      const count = typeof e.properties['count'] === 'number' ? e.properties['count'] : 1;
      edges.push({ source, target, kind: e.type.toLowerCase(), count });
    }
    return { nodes, edges };
  };
}
