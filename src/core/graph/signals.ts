/**
 * Graph signals for the live decision (issue #6, "Graph signals in the live decision"):
 * cards per device (24 h and all time), customers per device, the size of the card's identity
 * cluster and the number of confirmed-fraud entities within 2 hops, plus the ring score from
 * the periodic analytics. Rules reference them as `graph.<name>`, e.g.
 * `graph.device_cards_24h >= 4`.
 *
 * Every signal is computed over the graph *as it would be with this transaction added* (its
 * card counts on its own device), so the 4th card on a device sees 4, exactly when the
 * brief's query (`size(cards) > 3`) starts returning that device.
 */
export const GRAPH_SIGNALS = {
  /** Distinct cards used on this transaction's device in the 24 h before its event time. */
  device_cards_24h: 'device_cards_24h',
  /** Distinct cards ever used on this transaction's device. */
  device_cards_total: 'device_cards_total',
  /** Distinct customers whose cards were used on this transaction's device. */
  device_customers: 'device_customers',
  /** Cards in this card's identity cluster (connected over shared device, IP, customer). */
  card_cluster_size: 'card_cluster_size',
  /** Confirmed-fraud Card/Device/IP/Customer nodes within 2 identity hops of the card. */
  fraud_within_2_hops: 'fraud_within_2_hops',
  /** Community score in [0,1] of the card's ring from the last analysis; 0 when not in a ring. */
  ring_score: 'ring_score',
} as const;
export type GraphSignalName = (typeof GRAPH_SIGNALS)[keyof typeof GRAPH_SIGNALS];

/** Signal names in a fixed order (catalogue order). */
export const GRAPH_SIGNAL_NAMES: readonly GraphSignalName[] = Object.freeze(Object.values(GRAPH_SIGNALS));

/** One-line descriptions, for `bin/fraud graph signals --help`, docs and the console. */
export const GRAPH_SIGNAL_DESCRIPTIONS: Readonly<Record<GraphSignalName, string>> = Object.freeze({
  device_cards_24h:
    'distinct cards on the device in the 24 h before the transaction (event time), this card included',
  device_cards_total: 'distinct cards ever used on the device, this card included',
  device_customers: 'distinct customers whose cards were used on the device, this customer included',
  card_cluster_size:
    'cards in the card identity cluster (shared devices, IPs, customers; hubs and weak links excluded)',
  fraud_within_2_hops: 'confirmed-fraud Card/Device/IP/Customer nodes within 2 identity hops of the card',
  ring_score: 'community score [0,1] of the card ring from the last `graph analyze`; 0 when not in a ring',
});

/** The reason the decision records when graph signals drive it (the brief's example reason). */
export const GRAPH_REASON = 'high_risk_graph_pattern';

/** Window for `device_cards_24h`. */
export const DAY_MS = 24 * 60 * 60 * 1000;
