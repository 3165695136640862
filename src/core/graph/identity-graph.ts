/**
 * The entity graph held in process memory: the embedded backend's store, and the incrementally
 * maintained cache the live decision reads graph signals from (in both modes). Pure data
 * structure, no I/O: every operation is a few map look-ups, so `signalsFor` costs microseconds
 * and never waits on a database.
 *
 * The decision path calls `signalsFor` before every decision and `write` after every batch,
 * so both stay allocation-light: identity nodes are objects carrying their own live union-find
 * state and fraud flag, relations point at both end nodes, and distinct counts use a visit
 * stamp on the nodes instead of temporary sets. Nothing on that path builds a `Label:key`
 * string; those ids exist only for the analyst queries, rings and views.
 * Remembered transactions are columns (transaction-store.ts), not row objects: a transaction
 * refers to its entities by node index, so it adds no per-transaction strings for the GC to mark;
 * relation counts, times and amounts are in one Float64Array (RelationFigures), not boxed doubles.
 * tests/unit/graph/equivalence.test.ts holds this to the earlier string-keyed implementation.
 */

import { stateFloat64 } from '../collections/state-arrays.ts';
import type { Label, Transaction } from '../contracts/index.ts';
import {
  analyzeComponents,
  type ComponentAnalysis,
  type IdentityEdge,
  RING_DEFAULTS,
  type RingOptions,
} from './components.ts';
import {
  dedupeRows,
  type EntityRef,
  edgeId,
  type GraphPath,
  type GraphRow,
  type GraphStats,
  type GraphView,
  type NodeLabel,
  nodeId,
  type RelType,
  type SharedDevice,
  sortView,
  type ViewEdge,
  type ViewNode,
  type WriteResult,
} from './model.ts';
import { DAY_MS, type GraphSignalName } from './signals.ts';
import { TransactionStore } from './transaction-store.ts';

// Offsets of one relation's figures.
const COUNT = 0;
const FIRST = 1;
const LAST = 2;
const AMOUNT = 3;
const FIGURES = 4;

/**
 * Count, first/last event time (epoch ms) and amount of every relation: four doubles per
 * relation in one growable Float64Array, not fields of the relation object. With pointer
 * compression V8 boxes every double field holding more than a small integer (an epoch-ms time
 * always does) as a heap object of its own: three per relation, ~800,000 at 200,000
 * transactions, all marked by every major GC. A typed array's contents are not on the V8 heap.
 * Relations are never removed, so offsets never move.
 */
class RelationFigures {
  data = stateFloat64(4 * 1024);
  private size = 0;

  /** A new relation first seen at `ts`, not yet counted; returns its offset. */
  add(ts: number): number {
    const o = this.size;
    if (o + FIGURES > this.data.length) {
      const data = stateFloat64(this.data.length * 2);
      data.set(this.data);
      this.data = data;
    }
    this.size = o + FIGURES;
    this.data[o + FIRST] = ts;
    this.data[o + LAST] = ts;
    return o;
  }

  touch(o: number, ts: number, amount: number, counted: boolean): void {
    const d = this.data;
    if (ts < (d[o + FIRST] as number)) d[o + FIRST] = ts;
    if (ts > (d[o + LAST] as number)) d[o + LAST] = ts;
    if (counted) {
      d[o + COUNT] = (d[o + COUNT] as number) + 1;
      d[o + AMOUNT] = (d[o + AMOUNT] as number) + amount;
    }
  }

  count(o: number): number {
    return this.data[o + COUNT] as number;
  }
  first(o: number): number {
    return this.data[o + FIRST] as number;
  }
  last(o: number): number {
    return this.data[o + LAST] as number;
  }
  amount(o: number): number {
    return this.data[o + AMOUNT] as number;
  }
}

/** A relation; its count, first/last seen and amount are in the graph's figures at `figures`. */
export interface Relation {
  readonly figures: number;
}

// Identity relations point at both end nodes, so the signal walks follow references instead
// of looking each neighbour up again by key. One object per relation, indexed from both ends.
/** (:Customer)-[:OWNS]->(:Card). */
export interface OwnsRel extends Relation {
  readonly customer: CustomerNode;
  readonly card: CardNode;
}
/** (:Card)-[:USED_ON]->(:Device). */
export interface UsedOnRel extends Relation {
  readonly card: CardNode;
  readonly device: DeviceNode;
}
/** (:Device)-[:SEEN_FROM]->(:IP). */
export interface SeenFromRel extends Relation {
  readonly device: DeviceNode;
  readonly ip: IpNode;
}

/** A Merchant: its properties as first seen. */
export class MerchantNode {
  readonly key: string;
  readonly category: string;
  readonly country: string;
  /** Position in the graph's merchant table: remembered transactions refer to it by this. */
  readonly index: number;

  constructor(key: string, category: string, country: string, index: number) {
    this.key = key;
    this.category = category;
    this.country = country;
    this.index = index;
  }
}

/**
 * A Card, Device, Customer or IP. Each carries its own live union-find state and scratch
 * fields, so the hot path (`write`, `signalsFor`) builds no `Label:key` strings and hashes
 * nothing beyond the transaction's own four keys.
 */
export class IdentityNode {
  readonly key: string;
  /** Union-find parent (itself at a root). */
  parent: IdentityNode;
  /** Cards in this node's live set; meaningful at a root only. */
  setCards: number;
  /** Visit stamp: equals the graph's current stamp once a walk has counted this node. */
  seen = 0;
  /** Mirrors `IdentityGraph.fraud`: a walk tests a field instead of a string set. */
  fraud: boolean;
  /** Device/IP only: shared by at least `minShared` customers, so it links every neighbour. */
  strong = false;
  /**
   * Flagged neighbours one hop towards the cards (a Device's cards and IPs, a Customer's
   * cards): the fraud walk skips a node's neighbours when none is flagged, instead of scanning
   * every IP a device was ever seen from.
   */
  flaggedNear = 0;
  /**
   * Position in the graph's table for this label: remembered transactions refer to their
   * entities by it (typed-array columns the GC does not visit). Nodes are never removed.
   */
  readonly index: number;

  constructor(key: string, cards: number, fraud: boolean, index: number) {
    this.key = key;
    this.parent = this;
    this.setCards = cards;
    this.fraud = fraud;
    this.index = index;
  }
}

export class CardNode extends IdentityNode {
  /** Owners, by customer key. */
  readonly customers = new Map<string, OwnsRel>();
  readonly devices = new Map<string, UsedOnRel>();
  /**
   * (:Card)-[:TRANSACTED_AT]->(:Merchant), by merchant key: the offset of the relation's
   * figures. No object per relation: no walk follows a merchant, and at 5,000 tx/s these were
   * ~150,000 objects after a minute, each one more for every major GC to mark.
   */
  readonly merchants = new Map<string, number>();
  /** This card's entries in the analysis overlays (0 when absent), see `applyAnalysis`. */
  overlayCluster = 0;
  overlayScore = 0;
}
export class DeviceNode extends IdentityNode {
  readonly cards = new Map<string, UsedOnRel>();
  readonly ips = new Map<string, SeenFromRel>();
}
export class CustomerNode extends IdentityNode {
  readonly cards = new Map<string, OwnsRel>();
}
/**
 * An IP, which is also its SEEN_FROM relation to the first device it was seen from. Most IPs
 * are seen from one device (mobile networks hand out addresses per session; the simulator
 * gives 40 % of transactions a new IP), and a relation object plus a Map for each were
 * ~340,000 more objects for every major GC to mark after a minute at 5,000 tx/s. Relations to
 * further devices are objects, in a Map made at the second. Devices come back in the order
 * they were first seen.
 */
export class IpNode extends IdentityNode implements SeenFromRel {
  /** Figures of the relation to the first device (-1 before it). */
  figures = -1;
  private first: DeviceNode | null = null;
  private more: Map<string, SeenFromRel> | null = null;

  /** As a relation: its device end, the first device. */
  get device(): DeviceNode {
    return this.first as DeviceNode;
  }
  /** As a relation: its IP end, this node. */
  get ip(): IpNode {
    return this;
  }

  get deviceCount(): number {
    return this.first === null ? 0 : 1 + (this.more === null ? 0 : this.more.size);
  }

  /** The relation to the device with this key, if related. */
  relationTo(key: string): SeenFromRel | undefined {
    if (this.first !== null && this.first.key === key) return this;
    return this.more?.get(key);
  }

  /** Relates a device not related yet, its figures at `figures`; returns the relation. */
  attach(device: DeviceNode, figures: number): SeenFromRel {
    if (this.first === null) {
      this.first = device;
      this.figures = figures;
      return this;
    }
    const rel: SeenFromRel = { figures, device, ip: this };
    if (this.more === null) this.more = new Map();
    this.more.set(device.key, rel);
    return rel;
  }

  /** A new array each call (cheaper on the signal walks than a generator). */
  devices(): SeenFromRel[] {
    if (this.first === null) return [];
    return this.more === null ? [this] : [this, ...this.more.values()];
  }
}

export interface IdentityGraphOptions {
  /**
   * Transactions remembered for idempotency, labels and the case view; the oldest are
   * forgotten first. Default: unbounded (the embedded analyst graph). The decision cache sets
   * a bound, since signals only use distinct sets and last-seen times, which replays cannot inflate.
   */
  readonly maxTransactions?: number;
  /** See {@link RingOptions.hubDegree}. Default 50. */
  readonly hubDegree?: number;
  /** See {@link RingOptions.minShared}. Default 4. */
  readonly minShared?: number;
}

export type SignalValues = Record<GraphSignalName, number>;

type FraudLabel = 'Card' | 'Device' | 'IP' | 'Customer';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A set of `Label:key` node ids that also indexes the raw keys per label (cheap membership
 * tests) and reports every change to `onChange` (the graph mirrors flags onto its nodes).
 */
export class FraudSet extends Set<string> {
  readonly byLabel: Record<FraudLabel, Set<string>> = {
    Card: new Set(),
    Device: new Set(),
    IP: new Set(),
    Customer: new Set(),
  };
  private readonly onChange: ((label: FraudLabel, key: string, flagged: boolean) => void) | undefined;

  constructor(onChange?: (label: FraudLabel, key: string, flagged: boolean) => void) {
    super();
    this.onChange = onChange;
  }

  override add(id: string): this {
    super.add(id);
    // Set's constructor calls add() before this subclass's fields exist.
    if (this.byLabel === undefined) return this;
    const i = id.indexOf(':');
    const label = id.slice(0, i);
    if (label in this.byLabel) {
      const key = id.slice(i + 1);
      this.byLabel[label as FraudLabel].add(key);
      this.onChange?.(label as FraudLabel, key, true);
    }
    return this;
  }

  override delete(id: string): boolean {
    const i = id.indexOf(':');
    const label = id.slice(0, i);
    if (label in this.byLabel) {
      const key = id.slice(i + 1);
      this.byLabel[label as FraudLabel].delete(key);
      this.onChange?.(label as FraudLabel, key, false);
    }
    return super.delete(id);
  }

  override clear(): void {
    for (const [label, keys] of Object.entries(this.byLabel)) {
      for (const key of keys) this.onChange?.(label as FraudLabel, key, false);
      keys.clear();
    }
    super.clear();
  }
}

export class IdentityGraph {
  readonly cards = new Map<string, CardNode>();
  readonly devices = new Map<string, DeviceNode>();
  readonly customers = new Map<string, CustomerNode>();
  readonly ips = new Map<string, IpNode>();
  readonly merchants = new Map<string, MerchantNode>();
  private readonly figures = new RelationFigures();
  /**
   * Remembered transactions (the oldest forgotten first past `maxTransactions`): each with its
   * row once it has arrived (a label may come first), and whether it is labelled fraud.
   */
  readonly transactions: TransactionStore;
  // Nodes by index (IdentityNode.index), for the transaction columns.
  private readonly cardTable: CardNode[] = [];
  private readonly deviceTable: DeviceNode[] = [];
  private readonly customerTable: CustomerNode[] = [];
  private readonly ipTable: IpNode[] = [];
  private readonly merchantTable: MerchantNode[] = [];
  /** Confirmed-fraud identity nodes, as `Label:key`. */
  readonly fraud = new FraudSet((label, key, flagged) => {
    const node = this.nodeByKey(label, key);
    if (node) this.setFlag(node, flagged);
  });
  // Latest analysis results (cluster sizes, ring scores and ring ids per card key); set only
  // through applyAnalysis, which mirrors them onto the card nodes.
  private cluster = new Map<string, number>();
  private ringScores = new Map<string, number>();
  private rings = new Map<string, string>();
  private readonly hubDegree: number;
  private readonly minShared: number;
  /** Incremented per walk; a node whose `seen` equals it was already counted (no scratch sets). */
  private stamp = 0;

  constructor(options: IdentityGraphOptions = {}) {
    this.transactions = new TransactionStore(options.maxTransactions ?? Number.POSITIVE_INFINITY);
    this.hubDegree = options.hubDegree ?? RING_DEFAULTS.hubDegree;
    this.minShared = options.minShared ?? RING_DEFAULTS.minShared;
  }

  // ---------------------------------------------------------------- writes

  /** Adds transactions; returns how many were new. Idempotent per transaction id. */
  write(rows: readonly GraphRow[]): WriteResult {
    // A single row (the per-transaction path) has nothing to de-duplicate.
    const unique = rows.length > 1 ? dedupeRows(rows) : rows;
    const txs = this.transactions;
    let created = 0;
    for (const r of unique) {
      const prior = txs.slotOf(r.transaction_id);
      if (prior < 0) {
        created++;
        // -1 when nothing is remembered (maxTransactions 0): the edges still count.
        this.addEdges(r, true, txs.remember(r.transaction_id));
      } else if (!txs.hasRow(prior)) {
        // Its label came first: the row fills the slot the label kept.
        created++;
        this.addEdges(r, true, prior);
        if (txs.isFraud(prior)) this.flagRow(r);
      } else {
        // A replay: relations seen again, not counted; the first row stays.
        this.addEdges(r, false, -1);
        if (txs.isFraud(prior)) this.flagRow(r);
      }
    }
    return { rows: unique.length, created };
  }

  /** Adds the row's relations and, when `slot` is not -1, gives that slot the row. */
  private addEdges(r: GraphRow, counted: boolean, slot: number): void {
    const { ts, amount } = r;
    const card = this.cards.get(r.card_id) ?? this.newCard(r.card_id);
    // Relations are looked up from the card's side first (small maps): a repeated relation
    // already points at its other end, so the large per-label maps are only consulted for
    // new ones. Order matters for the live sets: ownership first, so a device sees this
    // card's owner.
    const owns = this.owns(card, r.customer_id, ts);
    this.figures.touch(owns.figures, ts, 0, counted);
    const usedOn = this.usedOn(card, r.device_id, ts);
    this.figures.touch(usedOn.figures, ts, 0, counted);
    const seenFrom = this.seenFrom(usedOn.device, r.ip_address, ts);
    this.figures.touch(seenFrom.figures, ts, 0, counted);
    const merchant = this.merchants.get(r.merchant_id) ?? this.newMerchant(r);
    let at = card.merchants.get(r.merchant_id);
    if (at === undefined) {
      at = this.figures.add(ts);
      card.merchants.set(r.merchant_id, at);
    }
    this.figures.touch(at, ts, amount, counted);
    if (slot >= 0) {
      this.transactions.fill(
        slot,
        card.index,
        owns.customer.index,
        usedOn.device.index,
        seenFrom.ip.index,
        merchant.index,
        ts,
        amount,
        r.currency,
        r.status,
      );
    }
  }

  private newCard(key: string): CardNode {
    const n = new CardNode(key, 1, this.fraud.byLabel.Card.has(key), this.cardTable.length);
    this.cardTable.push(n);
    n.overlayCluster = this.cluster.get(key) ?? 0;
    n.overlayScore = this.ringScores.get(key) ?? 0;
    this.cards.set(key, n);
    return n;
  }
  private newDevice(key: string): DeviceNode {
    const n = new DeviceNode(key, 0, this.fraud.byLabel.Device.has(key), this.deviceTable.length);
    this.deviceTable.push(n);
    this.devices.set(key, n);
    return n;
  }
  private newCustomer(key: string): CustomerNode {
    const n = new CustomerNode(key, 0, this.fraud.byLabel.Customer.has(key), this.customerTable.length);
    this.customerTable.push(n);
    this.customers.set(key, n);
    return n;
  }
  private newIp(key: string): IpNode {
    const n = new IpNode(key, 0, this.fraud.byLabel.IP.has(key), this.ipTable.length);
    this.ipTable.push(n);
    this.ips.set(key, n);
    return n;
  }
  private newMerchant(r: GraphRow): MerchantNode {
    const m = new MerchantNode(
      r.merchant_id,
      r.merchant_category,
      r.merchant_country,
      this.merchantTable.length,
    );
    this.merchantTable.push(m);
    this.merchants.set(r.merchant_id, m);
    return m;
  }

  // A relation is created on both ends at once, so one look-up tells whether it is new; a
  // new one finds or creates its other end and joins the live sets.
  private owns(card: CardNode, customerKey: string, ts: number): OwnsRel {
    let rel = card.customers.get(customerKey);
    if (rel === undefined) {
      const customer = this.customers.get(customerKey) ?? this.newCustomer(customerKey);
      rel = { figures: this.figures.add(ts), customer, card };
      card.customers.set(customerKey, rel);
      customer.cards.set(card.key, rel);
      if (card.fraud) customer.flaggedNear++;
      this.attachCustomer(customer, card);
    }
    return rel;
  }

  private usedOn(card: CardNode, deviceKey: string, ts: number): UsedOnRel {
    let rel = card.devices.get(deviceKey);
    if (rel === undefined) {
      const device = this.devices.get(deviceKey) ?? this.newDevice(deviceKey);
      rel = { figures: this.figures.add(ts), card, device };
      card.devices.set(deviceKey, rel);
      device.cards.set(card.key, rel);
      if (card.fraud) device.flaggedNear++;
      this.attachDevice(device, card);
    }
    return rel;
  }

  private seenFrom(device: DeviceNode, ipKey: string, ts: number): SeenFromRel {
    let rel = device.ips.get(ipKey);
    if (rel === undefined) {
      const ip = this.ips.get(ipKey) ?? this.newIp(ipKey);
      rel = ip.attach(device, this.figures.add(ts));
      device.ips.set(ipKey, rel);
      if (ip.fraud) device.flaggedNear++;
      this.attachIp(ip, device);
    }
    return rel;
  }

  /** Confirmed-fraud labels flag the transaction's card, device, IP and customer. */
  applyLabels(labels: readonly Pick<Label, 'transaction_id' | 'is_fraud'>[]): void {
    const txs = this.transactions;
    for (const l of labels) {
      let slot = txs.slotOf(l.transaction_id);
      // A label before its transaction keeps a slot without a row (-1 with maxTransactions 0).
      if (slot < 0) slot = txs.remember(l.transaction_id);
      // A later "not fraud" label does not unflag entities another transaction may have flagged.
      if (!l.is_fraud || slot < 0) continue;
      txs.markFraud(slot);
      if (txs.hasRow(slot)) {
        this.flag(
          (this.cardTable[txs.card(slot)] as CardNode).key,
          (this.deviceTable[txs.device(slot)] as DeviceNode).key,
          (this.ipTable[txs.ip(slot)] as IpNode).key,
          (this.customerTable[txs.customer(slot)] as CustomerNode).key,
        );
      }
    }
  }

  private flagRow(r: GraphRow): void {
    this.flag(r.card_id, r.device_id, r.ip_address, r.customer_id);
  }

  private flag(card: string, device: string, ip: string, customer: string): void {
    this.fraud.add(nodeId('Card', card));
    this.fraud.add(nodeId('Device', device));
    this.fraud.add(nodeId('IP', ip));
    this.fraud.add(nodeId('Customer', customer));
  }

  /** Adds an identity edge learnt elsewhere (a Neo4j refresh); keeps the latest last-seen. */
  mergeEdge(type: 'OWNS' | 'USED_ON' | 'SEEN_FROM', from: string, to: string, lastSeen: number): void {
    // The same per-relation paths as addEdges, without counting and without a merchant.
    if (type === 'OWNS') {
      const card = this.cards.get(to) ?? this.newCard(to);
      this.figures.touch(this.owns(card, from, lastSeen).figures, lastSeen, 0, false);
    } else if (type === 'USED_ON') {
      const card = this.cards.get(from) ?? this.newCard(from);
      this.figures.touch(this.usedOn(card, to, lastSeen).figures, lastSeen, 0, false);
    } else {
      const device = this.devices.get(from) ?? this.newDevice(from);
      this.figures.touch(this.seenFrom(device, to, lastSeen).figures, lastSeen, 0, false);
    }
  }

  /** Sets a node's fraud flag and keeps its neighbours' `flaggedNear` counts in step. */
  private setFlag(node: IdentityNode, flagged: boolean): void {
    if (node.fraud === flagged) return;
    node.fraud = flagged;
    const d = flagged ? 1 : -1;
    if (node instanceof CardNode) {
      for (const used of node.devices.values()) used.device.flaggedNear += d;
      for (const own of node.customers.values()) own.customer.flaggedNear += d;
    } else if (node instanceof IpNode) {
      for (const seen of node.devices()) seen.device.flaggedNear += d;
    }
  }

  private nodeByKey(label: string, key: string): IdentityNode | undefined {
    switch (label) {
      case 'Card':
        return this.cards.get(key);
      case 'Device':
        return this.devices.get(key);
      case 'Customer':
        return this.customers.get(key);
      case 'IP':
        return this.ips.get(key);
      default:
        return undefined;
    }
  }

  // ---------------------------------------------------------------- live union-find

  private find(node: IdentityNode): IdentityNode {
    let x = node;
    // Path halving: every other node on the way up skips to its grandparent.
    while (x.parent !== x) {
      x.parent = x.parent.parent;
      x = x.parent;
    }
    return x;
  }

  private link(a: IdentityNode, b: IdentityNode): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    rb.parent = ra;
    ra.setCards += rb.setCards;
    rb.setCards = 0;
  }

  /** Counts `extra` (a customer key, which may have no node yet) under stamp `v`: always 1. */
  private markCustomer(extra: string, v: number): number {
    const node = this.customers.get(extra);
    if (node) node.seen = v;
    return 1;
  }

  /**
   * Whether the owners of the device's cards, plus `extra`, are at least `min` distinct
   * customers. Stops counting at `min`.
   */
  private deviceReaches(device: DeviceNode, extra: string | null, min: number): boolean {
    const v = ++this.stamp;
    let n = extra === null ? 0 : this.markCustomer(extra, v);
    if (n >= min) return true;
    for (const used of device.cards.values()) {
      for (const own of used.card.customers.values()) {
        if (own.customer.seen === v) continue;
        own.customer.seen = v;
        if (++n >= min) return true;
      }
    }
    return false;
  }

  /** Whether the owners of the cards of the IP's devices, plus `extra`, reach `min` customers. */
  private ipReaches(ip: IpNode, extra: string | null, min: number): boolean {
    const v = ++this.stamp;
    let n = extra === null ? 0 : this.markCustomer(extra, v);
    if (n >= min) return true;
    for (const seen of ip.devices()) {
      for (const used of seen.device.cards.values()) {
        for (const own of used.card.customers.values()) {
          if (own.customer.seen === v) continue;
          own.customer.seen = v;
          if (++n >= min) return true;
        }
      }
    }
    return false;
  }

  // The live sets follow the ring rules (RingOptions.minShared / hubDegree) as links arrive:
  // a private device/IP (one card / one device) attaches to it; one whose customers reach
  // `minShared` links all its neighbours; weak and hub identifiers link nothing new. Unions
  // cannot be undone, so an identifier that later turns weak or hub keeps its earlier unions
  // until analyze() rebuilds the sets exactly.

  private attachCustomer(customer: CustomerNode, card: CardNode): void {
    if (customer.cards.size <= this.hubDegree) this.link(customer, card);
  }

  private attachDevice(device: DeviceNode, card: CardNode): void {
    const n = device.cards.size;
    if (n > this.hubDegree) return;
    if (n === 1 || device.strong) {
      this.link(device, card);
    } else if (this.deviceReaches(device, null, this.minShared)) {
      device.strong = true;
      for (const used of device.cards.values()) this.link(device, used.card);
    }
  }

  private attachIp(ip: IpNode, device: DeviceNode): void {
    const n = ip.deviceCount;
    if (n > this.hubDegree) return;
    if (n === 1 || ip.strong) {
      this.link(ip, device);
    } else if (this.ipReaches(ip, null, this.minShared)) {
      ip.strong = true;
      for (const seen of ip.devices()) this.link(ip, seen.device);
    }
  }

  // ---------------------------------------------------------------- signals

  /**
   * Graph signals for one transaction, over the graph as it would be with this transaction
   * added (see `GRAPH_SIGNALS`). Four key look-ups, then reference walks over the neighbours;
   * the only allocation is the result.
   */
  signalsFor(
    t: Pick<Transaction, 'timestamp' | 'card_id' | 'device_id' | 'customer_id' | 'ip_address'>,
  ): SignalValues {
    const card = this.cards.get(t.card_id);
    const device = this.devices.get(t.device_id);
    const customer = this.customers.get(t.customer_id);
    const ip = this.ips.get(t.ip_address);
    let total = 1;
    let recent = 1;
    let deviceCustomers = 1;
    // Whether this device, with this transaction, links its cards (see the live sets above).
    let deviceLinks = false;
    if (device !== undefined) {
      let since = 0;
      let parsed = false;
      const v = ++this.stamp;
      if (customer !== undefined) customer.seen = v;
      for (const used of device.cards.values()) {
        if (used.card === card) continue;
        total++;
        // Parsed only when needed: most devices serve one card.
        if (!parsed) {
          since = Date.parse(t.timestamp) - DAY_MS;
          parsed = true;
        }
        if (this.figures.last(used.figures) > since) recent++;
        for (const own of used.card.customers.values()) {
          if (own.customer.seen === v) continue;
          own.customer.seen = v;
          deviceCustomers++;
        }
      }
      // `total` is the device's card count with this card. The live-set rule counts the owners
      // of all its cards, this one's too: continue the same stamp instead of walking again.
      if (total > 1 && total <= this.hubDegree) {
        let all = deviceCustomers;
        if (card !== undefined && device.cards.has(t.card_id)) {
          for (const own of card.customers.values()) {
            if (own.customer.seen === v) continue;
            own.customer.seen = v;
            all++;
          }
        }
        deviceLinks = all >= this.minShared;
      }
    }
    let ipLinks = false;
    if (ip !== undefined) {
      const n = ip.deviceCount + (ip.relationTo(t.device_id) === undefined ? 1 : 0);
      ipLinks = n > 1 && n <= this.hubDegree && this.ipReaches(ip, t.customer_id, this.minShared);
    }
    const live = this.liveClusterCards(
      card,
      customer,
      deviceLinks ? device : undefined,
      ipLinks ? ip : undefined,
    );
    return {
      device_cards_24h: recent,
      device_cards_total: total,
      device_customers: deviceCustomers,
      card_cluster_size: Math.max(live, card?.overlayCluster ?? this.cluster.get(t.card_id) ?? 0),
      fraud_within_2_hops: this.fraud.size === 0 ? 0 : this.fraudWithin2(t, card, device, customer),
      ring_score: card?.overlayScore ?? this.ringScores.get(t.card_id) ?? 0,
    };
  }

  /**
   * Cards in the union of the live sets this transaction would join: its card's, its
   * customer's (unless a hub), and, when they link (`device`/`ip` given), the device's and its
   * cards', the IP's and its devices'. A new card counts itself.
   */
  private liveClusterCards(
    card: CardNode | undefined,
    customer: CustomerNode | undefined,
    device: DeviceNode | undefined,
    ip: IpNode | undefined,
  ): number {
    const v = ++this.stamp;
    let cards = card === undefined ? 1 : this.rootCards(card, v);
    if (customer !== undefined && customer.cards.size <= this.hubDegree) cards += this.rootCards(customer, v);
    if (device !== undefined) {
      cards += this.rootCards(device, v);
      for (const used of device.cards.values()) cards += this.rootCards(used.card, v);
    }
    if (ip !== undefined) {
      cards += this.rootCards(ip, v);
      for (const seen of ip.devices()) cards += this.rootCards(seen.device, v);
    }
    return cards;
  }

  /** The card count of the node's set, the first time its root is met under stamp `v`. */
  private rootCards(node: IdentityNode, v: number): number {
    const root = this.find(node);
    if (root.seen === v) return 0;
    root.seen = v;
    return root.setCards;
  }

  /**
   * Confirmed-fraud identity nodes within two hops of the card (this transaction's device,
   * customer and IP included), not fanning out through hubs. Flags are node fields and
   * duplicates are caught by the visit stamp, so the walk allocates nothing.
   */
  private fraudWithin2(
    t: Pick<Transaction, 'card_id' | 'device_id' | 'customer_id' | 'ip_address'>,
    card: CardNode | undefined,
    device: DeviceNode | undefined,
    customer: CustomerNode | undefined,
  ): number {
    const F = this.fraud.byLabel;
    const v = ++this.stamp;
    let n = 0;
    // This transaction's own entities may have no node yet: those are tested by key.
    if (card !== undefined) n += this.hit(card, v);
    else if (F.Card.has(t.card_id)) n++;
    // Hop 1: the card's devices and customers, this transaction's included; hop 2 from each.
    if (device !== undefined) n += this.viaDevice(device, v, t.ip_address);
    else {
      if (F.Device.has(t.device_id)) n++;
      n += this.hitIp(t.ip_address, v);
    }
    if (customer !== undefined) n += this.viaCustomer(customer, v);
    else if (F.Customer.has(t.customer_id)) n++;
    if (card !== undefined) {
      for (const used of card.devices.values())
        if (used.device !== device) n += this.viaDevice(used.device, v, null);
      for (const own of card.customers.values())
        if (own.customer !== customer) n += this.viaCustomer(own.customer, v);
    }
    return n;
  }

  /** 1 the first time a flagged node is met under stamp `v`, else 0. */
  private hit(node: IdentityNode, v: number): number {
    if (!node.fraud || node.seen === v) return 0;
    node.seen = v;
    return 1;
  }

  private hitIp(key: string, v: number): number {
    const ip = this.ips.get(key);
    if (ip !== undefined) return this.hit(ip, v);
    return this.fraud.byLabel.IP.has(key) ? 1 : 0;
  }

  /** A device, and unless it is a hub its cards and IPs (and `ownIp`, this transaction's). */
  private viaDevice(device: DeviceNode, v: number, ownIp: string | null): number {
    let n = this.hit(device, v);
    if (device.cards.size > this.hubDegree) return n; // do not fan out through hubs
    if (device.flaggedNear > 0) {
      for (const used of device.cards.values()) n += this.hit(used.card, v);
      for (const seen of device.ips.values()) n += this.hit(seen.ip, v);
    }
    if (ownIp !== null) n += this.hitIp(ownIp, v);
    return n;
  }

  /** A customer, and unless it is a hub its cards. */
  private viaCustomer(customer: CustomerNode, v: number): number {
    let n = this.hit(customer, v);
    if (customer.cards.size > this.hubDegree || customer.flaggedNear === 0) return n;
    for (const own of customer.cards.values()) n += this.hit(own.card, v);
    return n;
  }

  // ---------------------------------------------------------------- analyst queries

  sharedDevices(moreThan = 3, limit = 100): SharedDevice[] {
    const out: SharedDevice[] = [];
    for (const [device_id, d] of this.devices) {
      if (d.cards.size > moreThan) out.push({ device_id, cards: [...d.cards.keys()].sort() });
    }
    out.sort((a, b) => b.cards.length - a.cards.length || (a.device_id < b.device_id ? -1 : 1));
    return out.slice(0, limit);
  }

  identityNodes(): string[] {
    const out: string[] = [];
    for (const k of this.cards.keys()) out.push(nodeId('Card', k));
    for (const k of this.devices.keys()) out.push(nodeId('Device', k));
    for (const k of this.customers.keys()) out.push(nodeId('Customer', k));
    for (const k of this.ips.keys()) out.push(nodeId('IP', k));
    return out;
  }

  *identityEdges(): Generator<IdentityEdge> {
    for (const [card, c] of this.cards) {
      const cid = nodeId('Card', card);
      for (const cu of c.customers.keys()) yield [nodeId('Customer', cu), cid];
      for (const d of c.devices.keys()) yield [cid, nodeId('Device', d)];
    }
    for (const [device, d] of this.devices) {
      for (const ip of d.ips.keys()) yield [nodeId('Device', device), nodeId('IP', ip)];
    }
  }

  /** Connected components + ring scores; also refreshes the signal overlay and the live sets. */
  analyze(options: RingOptions = {}): ComponentAnalysis {
    const result = analyzeComponents(this.identityNodes(), this.identityEdges(), this.fraud, {
      hubDegree: this.hubDegree,
      minShared: this.minShared,
      ...options,
    });
    this.applyAnalysis(result.cardClusterSize, result.cardRingScore, result.cardRing);
    this.rebuildSets(result);
    return result;
  }

  /**
   * Replaces the analysis overlays (cluster size, ring score, ring id per card key). The maps
   * are owned by the graph from then on: their values are mirrored onto the card nodes, so
   * signalsFor reads two fields instead of two more look-ups in card-sized maps.
   */
  applyAnalysis(
    cluster: Map<string, number>,
    ringScore: Map<string, number>,
    ring: Map<string, string>,
  ): void {
    for (const key of this.cluster.keys()) {
      const card = this.cards.get(key);
      if (card) card.overlayCluster = 0;
    }
    for (const key of this.ringScores.keys()) {
      const card = this.cards.get(key);
      if (card) card.overlayScore = 0;
    }
    this.cluster = cluster;
    this.ringScores = ringScore;
    this.rings = ring;
    for (const [key, size] of cluster) {
      const card = this.cards.get(key);
      if (card) card.overlayCluster = size;
    }
    for (const [key, score] of ringScore) {
      const card = this.cards.get(key);
      if (card) card.overlayScore = score;
    }
  }

  /** Ring id per card key from the last analysis. */
  get ringOverlay(): ReadonlyMap<string, string> {
    return this.rings;
  }

  /** Resets the live union-find to the analysis's exact components (same rules, today's counts). */
  private rebuildSets(result: ComponentAnalysis): void {
    for (const d of this.devices.values()) d.strong = false;
    for (const ip of this.ips.values()) ip.strong = false;
    for (const group of result.groups) {
      const rep = this.nodeById(group[0] as string);
      if (rep === undefined) continue;
      let cards = 0;
      for (const m of group) {
        const node = this.nodeById(m);
        if (node === undefined) continue;
        node.parent = rep;
        node.setCards = 0;
        if (m.startsWith('Card:')) cards++;
      }
      rep.setCards = cards;
    }
    // Hubs are in no component: each is a set of its own, with no cards.
    for (const hub of result.hubs) {
      const node = this.nodeById(hub);
      if (node === undefined) continue;
      node.parent = node;
      node.setCards = 0;
    }
    for (const id of result.linking) {
      const node = this.nodeById(id);
      if (node !== undefined) node.strong = true;
    }
  }

  private nodeById(id: string): IdentityNode | undefined {
    const i = id.indexOf(':');
    return this.nodeByKey(id.slice(0, i), id.slice(i + 1));
  }

  has(ref: EntityRef): boolean {
    switch (ref.label) {
      case 'Card':
        return this.cards.has(ref.key);
      case 'Device':
        return this.devices.has(ref.key);
      case 'Customer':
        return this.customers.has(ref.key);
      case 'IP':
        return this.ips.has(ref.key);
      case 'Merchant':
        return this.merchants.has(ref.key);
      case 'Transaction':
        return this.transactions.has(ref.key);
    }
  }

  /** Identity neighbours of a node id with the relation type, in id order. */
  neighbours(id: string): { id: string; type: RelType }[] {
    const i = id.indexOf(':');
    const label = id.slice(0, i);
    const key = id.slice(i + 1);
    const out: { id: string; type: RelType }[] = [];
    if (label === 'Card') {
      const c = this.cards.get(key);
      if (c) {
        for (const cu of c.customers.keys()) out.push({ id: nodeId('Customer', cu), type: 'OWNS' });
        for (const d of c.devices.keys()) out.push({ id: nodeId('Device', d), type: 'USED_ON' });
      }
    } else if (label === 'Device') {
      const d = this.devices.get(key);
      if (d) {
        for (const c of d.cards.keys()) out.push({ id: nodeId('Card', c), type: 'USED_ON' });
        for (const ip of d.ips.keys()) out.push({ id: nodeId('IP', ip), type: 'SEEN_FROM' });
      }
    } else if (label === 'Customer') {
      for (const c of this.customers.get(key)?.cards.keys() ?? [])
        out.push({ id: nodeId('Card', c), type: 'OWNS' });
    } else if (label === 'IP') {
      for (const seen of this.ips.get(key)?.devices() ?? [])
        out.push({ id: nodeId('Device', seen.device.key), type: 'SEEN_FROM' });
    }
    out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return out;
  }

  /** Breadth-first shortest path over identity relations (undirected), at most `maxDepth` hops. */
  path(from: EntityRef, to: EntityRef, maxDepth: number): GraphPath | null {
    const start = nodeId(from.label, from.key);
    const goal = nodeId(to.label, to.key);
    if (!this.has(from) || !this.has(to)) return null;
    if (start === goal) return { nodes: [start], rels: [], length: 0 };
    const prev = new Map<string, { id: string; type: RelType }>();
    prev.set(start, { id: '', type: 'OWNS' });
    let frontier = [start];
    for (let depth = 0; depth < maxDepth && frontier.length > 0; depth++) {
      const next: string[] = [];
      for (const n of frontier) {
        for (const nb of this.neighbours(n)) {
          if (prev.has(nb.id)) continue;
          prev.set(nb.id, { id: n, type: nb.type });
          if (nb.id === goal) {
            const nodes = [goal];
            const rels: RelType[] = [];
            let cur = goal;
            while (cur !== start) {
              const p = prev.get(cur) as { id: string; type: RelType };
              rels.unshift(p.type);
              nodes.unshift(p.id);
              cur = p.id;
            }
            return { nodes, rels, length: rels.length };
          }
          next.push(nb.id);
        }
      }
      frontier = next;
    }
    return null;
  }

  /**
   * A remembered transaction as a row: null while only its label has arrived, undefined when
   * not remembered. Its merchant category and country are the merchant's as first seen (the
   * graph keeps one per merchant). Allocates: for views and tests, not the decision path.
   */
  transaction(transactionId: string): GraphRow | null | undefined {
    const txs = this.transactions;
    const slot = txs.slotOf(transactionId);
    if (slot < 0) return undefined;
    if (!txs.hasRow(slot)) return null;
    const merchant = this.merchantTable[txs.merchant(slot)] as MerchantNode;
    return {
      transaction_id: transactionId,
      ts: txs.ts(slot),
      amount: txs.amount(slot),
      currency: txs.currency(slot),
      status: txs.status(slot),
      card_id: (this.cardTable[txs.card(slot)] as CardNode).key,
      customer_id: (this.customerTable[txs.customer(slot)] as CustomerNode).key,
      device_id: (this.deviceTable[txs.device(slot)] as DeviceNode).key,
      ip_address: (this.ipTable[txs.ip(slot)] as IpNode).key,
      merchant_id: merchant.key,
      merchant_category: merchant.category,
      merchant_country: merchant.country,
    };
  }

  /** The case view (see GraphBackend.neighbourhood). */
  neighbourhood(transactionId: string, hops: number, limit: number): GraphView | null {
    const r = this.transaction(transactionId);
    if (!r) return null;
    // Identity nodes by distance from the transaction's own entities (sorted by distance, id).
    const dist = new Map<string, number>();
    let frontier = [
      nodeId('Card', r.card_id),
      nodeId('Customer', r.customer_id),
      nodeId('Device', r.device_id),
      nodeId('IP', r.ip_address),
    ];
    for (const s of frontier) dist.set(s, 0);
    for (let h = 1; h <= hops; h++) {
      const next: string[] = [];
      for (const n of frontier) {
        for (const nb of this.neighbours(n)) {
          if (dist.has(nb.id)) continue;
          dist.set(nb.id, h);
          next.push(nb.id);
        }
      }
      frontier = next;
    }
    const ranked = [...dist].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const room = Math.max(0, limit - 2);
    const truncated = ranked.length > room;
    const keep = new Set(ranked.slice(0, room).map(([id]) => id));
    const txNode = nodeId('Transaction', r.transaction_id);
    const merchantNode = nodeId('Merchant', r.merchant_id);
    const nodes: ViewNode[] = [
      {
        id: txNode,
        label: 'Transaction',
        key: r.transaction_id,
        fraud: this.transactions.isFraud(this.transactions.slotOf(transactionId)),
        properties: { amount: r.amount, currency: r.currency, status: r.status, timestamp: iso(r.ts) },
      },
    ];
    const m = this.merchants.get(r.merchant_id);
    nodes.push({
      id: merchantNode,
      label: 'Merchant',
      key: r.merchant_id,
      fraud: false,
      properties: { category: m?.category ?? null, country: m?.country ?? null },
    });
    for (const id of keep) {
      const i = id.indexOf(':');
      nodes.push({
        id,
        label: id.slice(0, i) as NodeLabel,
        key: id.slice(i + 1),
        fraud: this.fraud.has(id),
        properties: {},
      });
    }
    const edges: ViewEdge[] = [];
    const f = this.figures;
    // The transaction's own relations to its entities (drawing only; not stored as relations).
    for (const id of [
      nodeId('Card', r.card_id),
      nodeId('Customer', r.customer_id),
      nodeId('Device', r.device_id),
      nodeId('IP', r.ip_address),
      merchantNode,
    ]) {
      if (id === merchantNode || keep.has(id))
        edges.push({
          id: edgeId(txNode, 'INVOLVES', id),
          type: 'INVOLVES',
          source: txNode,
          target: id,
          properties: {},
        });
    }
    for (const id of keep) {
      const key = id.slice(id.indexOf(':') + 1);
      if (id.startsWith('Card:')) {
        const c = this.cards.get(key);
        if (!c) continue;
        for (const [cu, s] of c.customers) {
          const src = nodeId('Customer', cu);
          if (keep.has(src))
            edges.push({
              id: edgeId(src, 'OWNS', id),
              type: 'OWNS',
              source: src,
              target: id,
              properties: { since: iso(f.first(s.figures)) },
            });
        }
        for (const [d, s] of c.devices) {
          const dst = nodeId('Device', d);
          if (keep.has(dst)) {
            edges.push({
              id: edgeId(id, 'USED_ON', dst),
              type: 'USED_ON',
              source: id,
              target: dst,
              properties: {
                count: f.count(s.figures),
                first_seen: iso(f.first(s.figures)),
                last_seen: iso(f.last(s.figures)),
              },
            });
          }
        }
        const s = c.merchants.get(r.merchant_id);
        if (s !== undefined) {
          edges.push({
            id: edgeId(id, 'TRANSACTED_AT', merchantNode),
            type: 'TRANSACTED_AT',
            source: id,
            target: merchantNode,
            properties: {
              count: f.count(s),
              amount: Math.round(f.amount(s) * 100) / 100,
              last_seen: iso(f.last(s)),
            },
          });
        }
      } else if (id.startsWith('Device:')) {
        for (const [ip, s] of this.devices.get(key)?.ips ?? []) {
          const dst = nodeId('IP', ip);
          if (keep.has(dst)) {
            edges.push({
              id: edgeId(id, 'SEEN_FROM', dst),
              type: 'SEEN_FROM',
              source: id,
              target: dst,
              properties: { count: f.count(s.figures), last_seen: iso(f.last(s.figures)) },
            });
          }
        }
      }
    }
    return sortView(nodes, edges, truncated);
  }

  stats(): GraphStats {
    let owns = 0;
    let usedOn = 0;
    let at = 0;
    let seenFrom = 0;
    for (const c of this.cards.values()) {
      owns += c.customers.size;
      usedOn += c.devices.size;
      at += c.merchants.size;
    }
    for (const d of this.devices.values()) seenFrom += d.ips.size;
    return {
      nodes: {
        Card: this.cards.size,
        Customer: this.customers.size,
        Device: this.devices.size,
        IP: this.ips.size,
        Merchant: this.merchants.size,
        Transaction: this.transactions.size,
      },
      relationships: { OWNS: owns, USED_ON: usedOn, TRANSACTED_AT: at, SEEN_FROM: seenFrom },
    };
  }
}
