/**
 * The entity graph, as issue #6 and the brief define it:
 *
 *   "Modelar entidades (card, customer, device, merchant) como nós e relações (used_by,
 *    transacted_at) como arestas."
 *
 *   Nodes: Customer {customer_id}, Card {card_id}, Device {device_id},
 *          Merchant {merchant_id, category, country}, IP {ip_address}, Transaction {transaction_id}.
 *   Relations: (:Customer)-[:OWNS]->(:Card), (:Card)-[:USED_ON]->(:Device),
 *              (:Card)-[:TRANSACTED_AT {count, amount, last_seen}]->(:Merchant),
 *              (:Device)-[:SEEN_FROM]->(:IP).
 *
 * Transaction nodes carry their entity ids as properties and no relations, so they never
 * change the shape of the identity graph (the brief's query and the rings are unaffected);
 * they make writes idempotent (a replayed transaction id updates no counter) and anchor
 * labels and the case-view neighbourhood.
 */
import type { Transaction } from '../contracts/index.ts';

export const NODE_LABELS = ['Customer', 'Card', 'Device', 'Merchant', 'IP', 'Transaction'] as const;
export type NodeLabel = (typeof NODE_LABELS)[number];

/** The key property of each label (unique constraint). */
export const NODE_KEYS: Readonly<Record<NodeLabel, string>> = Object.freeze({
  Customer: 'customer_id',
  Card: 'card_id',
  Device: 'device_id',
  Merchant: 'merchant_id',
  IP: 'ip_address',
  Transaction: 'transaction_id',
});

export const REL_TYPES = ['OWNS', 'USED_ON', 'TRANSACTED_AT', 'SEEN_FROM'] as const;
export type RelType = (typeof REL_TYPES)[number];

/**
 * Identity relations: the shared identifiers card–device–IP–customer. Rings, paths, clusters
 * and signals follow only these; TRANSACTED_AT is left out because a popular merchant would
 * join every card into one meaningless component.
 */
export const IDENTITY_RELS: readonly RelType[] = Object.freeze(['OWNS', 'USED_ON', 'SEEN_FROM']);

/** The identity labels (the node kinds rings are made of). */
export const IDENTITY_LABELS = ['Customer', 'Card', 'Device', 'IP'] as const;
export type IdentityLabel = (typeof IDENTITY_LABELS)[number];

/** A node reference: label plus key value, e.g. `{ label: 'Card', key: 'card_1234' }`. */
export interface EntityRef {
  readonly label: NodeLabel;
  readonly key: string;
}

/** Stable string id of a node, `Label:key` (e.g. `Card:card_1234`); used by views and rings. */
export function nodeId(label: NodeLabel, key: string): string {
  return `${label}:${key}`;
}

const LABEL_ALIASES: Readonly<Record<string, NodeLabel>> = Object.freeze({
  card: 'Card',
  customer: 'Customer',
  cust: 'Customer',
  device: 'Device',
  dev: 'Device',
  ip: 'IP',
  merchant: 'Merchant',
  transaction: 'Transaction',
  tx: 'Transaction',
});

/**
 * Parses `Card:card_1234`, `card:card_1234` or a bare id. A bare id gets no label (`null`);
 * the backend then tries Card, then Customer, then Device, then IP.
 */
export function parseEntityRef(text: string): { label: NodeLabel | null; key: string } {
  const i = text.indexOf(':');
  if (i > 0) {
    const label = LABEL_ALIASES[text.slice(0, i).toLowerCase()];
    if (label) return { label, key: text.slice(i + 1) };
  }
  return { label: null, key: text };
}

/** Order in which a bare id is resolved. */
export const BARE_ID_ORDER: readonly NodeLabel[] = Object.freeze(['Card', 'Customer', 'Device', 'IP']);

/** One row of a graph write: a transaction flattened to what the graph keeps. */
export interface GraphRow {
  readonly transaction_id: string;
  /** Event time, epoch ms. */
  readonly ts: number;
  readonly amount: number;
  readonly currency: string;
  readonly status: string;
  readonly card_id: string;
  readonly customer_id: string;
  readonly device_id: string;
  readonly ip_address: string;
  readonly merchant_id: string;
  readonly merchant_category: string;
  readonly merchant_country: string;
}

export function toGraphRow(t: Transaction): GraphRow {
  return {
    transaction_id: t.transaction_id,
    ts: Date.parse(t.timestamp),
    amount: t.amount,
    currency: t.currency,
    status: t.status,
    card_id: t.card_id,
    customer_id: t.customer_id,
    device_id: t.device_id,
    ip_address: t.ip_address,
    merchant_id: t.merchant_id,
    merchant_category: t.merchant_category,
    merchant_country: t.merchant_country,
  };
}

/** Drops repeated transaction ids inside one batch (the first wins), keeping order. */
export function dedupeRows(rows: readonly GraphRow[]): GraphRow[] {
  const seen = new Set<string>();
  const out: GraphRow[] = [];
  for (const r of rows) {
    if (seen.has(r.transaction_id)) continue;
    seen.add(r.transaction_id);
    out.push(r);
  }
  return out;
}

/** A drawable node: `id` is `Label:key`. Properties are plain JSON (timestamps as ISO strings). */
export interface ViewNode {
  readonly id: string;
  readonly label: NodeLabel;
  readonly key: string;
  readonly fraud: boolean;
  readonly properties: Readonly<Record<string, string | number | boolean | null>>;
}

/** `INVOLVES` links the Transaction to its entities in a view; it is not a stored relation. */
export type ViewEdgeType = RelType | 'INVOLVES';

export interface ViewEdge {
  /** `source|TYPE|target`. */
  readonly id: string;
  readonly type: ViewEdgeType;
  readonly source: string;
  readonly target: string;
  readonly properties: Readonly<Record<string, string | number | null>>;
}

/** Nodes and edges ready to draw (the case view), sorted by id so two backends compare equal. */
export interface GraphView {
  readonly nodes: ViewNode[];
  readonly edges: ViewEdge[];
  /** True when the node limit cut the neighbourhood short. */
  readonly truncated: boolean;
}

/** One row of the brief's query: a device and the distinct cards used on it. */
export interface SharedDevice {
  readonly device_id: string;
  /** Sorted. */
  readonly cards: string[];
}

/** A path over identity relations, as node ids from `from` to `to`. */
export interface GraphPath {
  readonly nodes: string[];
  readonly rels: RelType[];
  readonly length: number;
}

/** Graph size by label and relation type. */
export interface GraphStats {
  readonly nodes: Readonly<Record<string, number>>;
  readonly relationships: Readonly<Record<string, number>>;
}

/** Result of writing a batch. */
export interface WriteResult {
  /** Rows in the batch after in-batch de-duplication. */
  readonly rows: number;
  /** Transactions seen for the first time (replays are not counted). */
  readonly created: number;
}

/** Sorts a view's nodes and edges by id (both backends return views in this canonical order). */
export function sortView(nodes: ViewNode[], edges: ViewEdge[], truncated: boolean): GraphView {
  nodes.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  edges.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { nodes, edges, truncated };
}

export function edgeId(source: string, type: ViewEdgeType, target: string): string {
  return `${source}|${type}|${target}`;
}
