/**
 * TEST ORACLE — do not use in production code. The in-process identity graph as it was before
 * the union-find moved onto node objects (commit 4fbdb05): string-keyed `Label:key` maps, kept
 * verbatim so equivalence.test.ts can assert the optimised graph gives identical answers
 * (signals, writes, labels, rings, views) on random and simulated histories.
 */
/*
 * The entity graph held in process memory: the embedded backend's store, and the incrementally
 * maintained cache the live decision reads graph signals from (in both modes). Pure data
 * structure, no I/O: every operation is a few map look-ups, so `signalsFor` costs microseconds
 * and never waits on a database.
 */
import type { Label, Transaction } from '../../../src/core/contracts/index.ts';
import {
  analyzeComponents,
  type ComponentAnalysis,
  type IdentityEdge,
  RING_DEFAULTS,
  type RingOptions,
} from '../../../src/core/graph/components.ts';
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
} from '../../../src/core/graph/model.ts';
import { DAY_MS, type GraphSignalName } from '../../../src/core/graph/signals.ts';

/** Count, first/last event time (epoch ms) and amount of one relation. */
export interface EdgeStat {
  count: number;
  first: number;
  last: number;
  amount: number;
}

interface CardNode {
  customers: Map<string, EdgeStat>;
  devices: Map<string, EdgeStat>;
  merchants: Map<string, EdgeStat>;
}
interface DeviceNode {
  cards: Map<string, EdgeStat>;
  ips: Map<string, EdgeStat>;
}
interface TxRecord {
  row: GraphRow | null;
  fraud: boolean | null;
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

/** The relation's stats, created on first sight. */
function bump(map: Map<string, EdgeStat>, key: string, ts: number): EdgeStat {
  let s = map.get(key);
  if (!s) {
    s = { count: 0, first: ts, last: ts, amount: 0 };
    map.set(key, s);
  }
  return s;
}

function touch(s: EdgeStat, ts: number, amount: number, counted: boolean): void {
  if (ts < s.first) s.first = ts;
  if (ts > s.last) s.last = ts;
  if (counted) {
    s.count++;
    s.amount += amount;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A set of `Label:key` node ids that also indexes the raw keys per label (cheap membership tests). */
export class FraudSet extends Set<string> {
  readonly byLabel: Record<'Card' | 'Device' | 'IP' | 'Customer', Set<string>> = {
    Card: new Set(),
    Device: new Set(),
    IP: new Set(),
    Customer: new Set(),
  };

  override add(id: string): this {
    super.add(id);
    // Set's constructor calls add() before this subclass's fields exist.
    const i = id.indexOf(':');
    const label = id.slice(0, i);
    if (this.byLabel !== undefined && label in this.byLabel) {
      this.byLabel[label as keyof FraudSet['byLabel']].add(id.slice(i + 1));
    }
    return this;
  }

  override delete(id: string): boolean {
    const i = id.indexOf(':');
    const label = id.slice(0, i);
    if (label in this.byLabel) this.byLabel[label as keyof FraudSet['byLabel']].delete(id.slice(i + 1));
    return super.delete(id);
  }

  override clear(): void {
    for (const s of Object.values(this.byLabel)) s.clear();
    super.clear();
  }
}

export class IdentityGraph {
  readonly cards = new Map<string, CardNode>();
  readonly devices = new Map<string, DeviceNode>();
  readonly customers = new Map<string, Map<string, EdgeStat>>();
  readonly ips = new Map<string, Map<string, EdgeStat>>();
  readonly merchants = new Map<string, { category: string; country: string }>();
  readonly txs = new Map<string, TxRecord>();
  /** Confirmed-fraud identity nodes, as `Label:key`. */
  readonly fraud = new FraudSet();
  /** Latest analysis results (cluster sizes and ring scores per card key). */
  clusterOverlay = new Map<string, number>();
  ringScoreOverlay = new Map<string, number>();
  ringOverlay = new Map<string, string>();
  private readonly maxTransactions: number;
  private readonly hubDegree: number;
  private readonly minShared: number;
  // Live union-find over identity node ids, with card counts per root (card_cluster_size).
  private readonly parent = new Map<string, string>();
  private readonly rootCards = new Map<string, number>();

  constructor(options: IdentityGraphOptions = {}) {
    this.maxTransactions = options.maxTransactions ?? Number.POSITIVE_INFINITY;
    this.hubDegree = options.hubDegree ?? RING_DEFAULTS.hubDegree;
    this.minShared = options.minShared ?? RING_DEFAULTS.minShared;
  }

  // ---------------------------------------------------------------- writes

  /** Adds transactions; returns how many were new. Idempotent per transaction id. */
  write(rows: readonly GraphRow[]): WriteResult {
    const unique = dedupeRows(rows);
    let created = 0;
    for (const r of unique) {
      const prior = this.txs.get(r.transaction_id);
      const fresh = prior === undefined || prior.row === null;
      if (fresh) created++;
      this.addEdges(r, fresh);
      if (prior === undefined) this.rememberTx(r.transaction_id, { row: r, fraud: null });
      else if (prior.row === null) prior.row = r;
      const rec = this.txs.get(r.transaction_id);
      if (rec?.fraud === true) this.flagRow(r);
    }
    return { rows: unique.length, created };
  }

  private rememberTx(id: string, rec: TxRecord): void {
    this.txs.set(id, rec);
    if (this.txs.size > this.maxTransactions) {
      const oldest = this.txs.keys().next().value as string;
      this.txs.delete(oldest);
    }
  }

  private addEdges(r: GraphRow, counted: boolean): void {
    const { ts, amount } = r;
    let card = this.cards.get(r.card_id);
    if (!card) {
      card = { customers: new Map(), devices: new Map(), merchants: new Map() };
      this.cards.set(r.card_id, card);
      this.makeSet(nodeId('Card', r.card_id), 1);
    }
    let device = this.devices.get(r.device_id);
    if (!device) {
      device = { cards: new Map(), ips: new Map() };
      this.devices.set(r.device_id, device);
      this.makeSet(nodeId('Device', r.device_id), 0);
    }
    let customer = this.customers.get(r.customer_id);
    if (!customer) {
      customer = new Map();
      this.customers.set(r.customer_id, customer);
      this.makeSet(nodeId('Customer', r.customer_id), 0);
    }
    let ip = this.ips.get(r.ip_address);
    if (!ip) {
      ip = new Map();
      this.ips.set(r.ip_address, ip);
      this.makeSet(nodeId('IP', r.ip_address), 0);
    }
    if (!this.merchants.has(r.merchant_id)) {
      this.merchants.set(r.merchant_id, { category: r.merchant_category, country: r.merchant_country });
    }
    // OWNS (customer -> card): one shared EdgeStat per relation, indexed from both ends.
    const owns = bump(card.customers, r.customer_id, ts);
    if (!customer.has(r.card_id)) {
      customer.set(r.card_id, owns);
      this.attachCustomer(r.customer_id, r.card_id);
    }
    touch(owns, ts, 0, counted);
    const usedOn = bump(card.devices, r.device_id, ts);
    if (!device.cards.has(r.card_id)) {
      device.cards.set(r.card_id, usedOn);
      this.attachDevice(r.device_id, r.card_id);
    }
    touch(usedOn, ts, 0, counted);
    const seenFrom = bump(device.ips, r.ip_address, ts);
    if (!ip.has(r.device_id)) {
      ip.set(r.device_id, seenFrom);
      this.attachIp(r.ip_address, r.device_id);
    }
    touch(seenFrom, ts, 0, counted);
    const at = bump(card.merchants, r.merchant_id, ts);
    touch(at, ts, amount, counted);
  }

  /** Confirmed-fraud labels flag the transaction's card, device, IP and customer. */
  applyLabels(labels: readonly Pick<Label, 'transaction_id' | 'is_fraud'>[]): void {
    for (const l of labels) {
      let rec = this.txs.get(l.transaction_id);
      if (!rec) {
        rec = { row: null, fraud: null };
        this.rememberTx(l.transaction_id, rec);
      }
      // A later "not fraud" label does not unflag entities another transaction may have flagged.
      rec.fraud = rec.fraud === true ? true : l.is_fraud;
      if (l.is_fraud && rec.row) this.flagRow(rec.row);
    }
  }

  private flagRow(r: GraphRow): void {
    this.fraud.add(nodeId('Card', r.card_id));
    this.fraud.add(nodeId('Device', r.device_id));
    this.fraud.add(nodeId('IP', r.ip_address));
    this.fraud.add(nodeId('Customer', r.customer_id));
  }

  /** Adds an identity edge learnt elsewhere (a Neo4j refresh); keeps the latest last-seen. */
  mergeEdge(type: 'OWNS' | 'USED_ON' | 'SEEN_FROM', from: string, to: string, lastSeen: number): void {
    const row = (card: string, customer: string, device: string, ip: string): GraphRow => ({
      transaction_id: '',
      ts: lastSeen,
      amount: 0,
      currency: '',
      status: '',
      card_id: card,
      customer_id: customer,
      device_id: device,
      ip_address: ip,
      merchant_id: '',
      merchant_category: '',
      merchant_country: '',
    });
    // Reuse the per-relation paths of addEdges without counting and without a merchant.
    if (type === 'OWNS') this.mergeOne('OWNS', row(to, from, '', ''));
    else if (type === 'USED_ON') this.mergeOne('USED_ON', row(from, '', to, ''));
    else this.mergeOne('SEEN_FROM', row('', '', from, to));
  }

  private mergeOne(type: 'OWNS' | 'USED_ON' | 'SEEN_FROM', r: GraphRow): void {
    const ensureCard = (k: string) => {
      let c = this.cards.get(k);
      if (!c) {
        c = { customers: new Map(), devices: new Map(), merchants: new Map() };
        this.cards.set(k, c);
        this.makeSet(nodeId('Card', k), 1);
      }
      return c;
    };
    const ensureDevice = (k: string) => {
      let d = this.devices.get(k);
      if (!d) {
        d = { cards: new Map(), ips: new Map() };
        this.devices.set(k, d);
        this.makeSet(nodeId('Device', k), 0);
      }
      return d;
    };
    if (type === 'OWNS') {
      const card = ensureCard(r.card_id);
      let cu = this.customers.get(r.customer_id);
      if (!cu) {
        cu = new Map();
        this.customers.set(r.customer_id, cu);
        this.makeSet(nodeId('Customer', r.customer_id), 0);
      }
      const s = bump(card.customers, r.customer_id, r.ts);
      if (!cu.has(r.card_id)) {
        cu.set(r.card_id, s);
        this.attachCustomer(r.customer_id, r.card_id);
      }
      touch(s, r.ts, 0, false);
    } else if (type === 'USED_ON') {
      const card = ensureCard(r.card_id);
      const device = ensureDevice(r.device_id);
      const s = bump(card.devices, r.device_id, r.ts);
      if (!device.cards.has(r.card_id)) {
        device.cards.set(r.card_id, s);
        this.attachDevice(r.device_id, r.card_id);
      }
      touch(s, r.ts, 0, false);
    } else {
      const device = ensureDevice(r.device_id);
      let ip = this.ips.get(r.ip_address);
      if (!ip) {
        ip = new Map();
        this.ips.set(r.ip_address, ip);
        this.makeSet(nodeId('IP', r.ip_address), 0);
      }
      const s = bump(device.ips, r.ip_address, r.ts);
      if (!ip.has(r.device_id)) {
        ip.set(r.device_id, s);
        this.attachIp(r.ip_address, r.device_id);
      }
      touch(s, r.ts, 0, false);
    }
  }

  // ---------------------------------------------------------------- live union-find

  private makeSet(id: string, cards: number): void {
    if (this.parent.has(id)) return;
    this.parent.set(id, id);
    this.rootCards.set(id, cards);
  }

  private find(id: string): string {
    let x = id;
    for (;;) {
      const p = this.parent.get(x);
      if (p === undefined || p === x) return x;
      const gp = this.parent.get(p) as string;
      this.parent.set(x, gp);
      x = gp;
    }
  }

  /** Distinct customers behind a device (owners of its cards), plus `extra` if given. */
  private deviceCustomers(device: string, extra?: string, into = new Set<string>()): Set<string> {
    for (const c of this.devices.get(device)?.cards.keys() ?? []) {
      for (const cu of this.cards.get(c)?.customers.keys() ?? []) into.add(cu);
    }
    if (extra !== undefined) into.add(extra);
    return into;
  }

  /** Distinct customers behind an IP (owners of the cards of its devices), plus `extra`. */
  private ipCustomers(ip: string, extra?: string): Set<string> {
    const out = new Set<string>();
    for (const d of this.ips.get(ip)?.keys() ?? []) this.deviceCustomers(d, undefined, out);
    if (extra !== undefined) out.add(extra);
    return out;
  }

  // The live sets follow the ring rules (RingOptions.minShared / hubDegree) as links arrive:
  // a private device/IP (one card / one device) attaches to it; one whose customers reach
  // `minShared` links all its neighbours; weak and hub identifiers link nothing new. Unions
  // cannot be undone, so an identifier that later turns weak or hub keeps its earlier unions
  // until analyze() rebuilds the sets exactly.
  private readonly strong = new Set<string>();

  private attachShared(
    idNode: string,
    n: number,
    customers: () => number,
    newNeighbour: string,
    all: () => Iterable<string>,
  ): void {
    if (n > this.hubDegree) return;
    if (n === 1) {
      this.link(idNode, newNeighbour);
      return;
    }
    if (this.strong.has(idNode)) {
      this.link(idNode, newNeighbour);
    } else if (customers() >= this.minShared) {
      this.strong.add(idNode);
      for (const x of all()) this.link(idNode, x);
    }
  }

  private attachCustomer(customer: string, card: string): void {
    if ((this.customers.get(customer)?.size ?? 0) <= this.hubDegree)
      this.link(nodeId('Customer', customer), nodeId('Card', card));
  }

  private attachDevice(device: string, card: string): void {
    const cards = this.devices.get(device)?.cards;
    if (!cards) return;
    this.attachShared(
      nodeId('Device', device),
      cards.size,
      () => this.deviceCustomers(device).size,
      nodeId('Card', card),
      function* () {
        for (const c of cards.keys()) yield nodeId('Card', c);
      },
    );
  }

  private attachIp(ip: string, device: string): void {
    const devices = this.ips.get(ip);
    if (!devices) return;
    this.attachShared(
      nodeId('IP', ip),
      devices.size,
      () => this.ipCustomers(ip).size,
      nodeId('Device', device),
      function* () {
        for (const d of devices.keys()) yield nodeId('Device', d);
      },
    );
  }

  private link(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    this.parent.set(rb, ra);
    this.rootCards.set(ra, (this.rootCards.get(ra) ?? 0) + (this.rootCards.get(rb) ?? 0));
    this.rootCards.delete(rb);
  }

  // ---------------------------------------------------------------- signals

  /**
   * Graph signals for one transaction, over the graph as it would be with this transaction
   * added (see `GRAPH_SIGNALS`). Map look-ups only; no allocation beyond small sets.
   */
  signalsFor(
    t: Pick<Transaction, 'timestamp' | 'card_id' | 'device_id' | 'customer_id' | 'ip_address'>,
  ): SignalValues {
    const ts = Date.parse(t.timestamp);
    const device = this.devices.get(t.device_id);
    let total = 1;
    let recent = 1;
    // Most devices serve one card: the customer set is only built when there are others.
    let customers: Set<string> | null = null;
    if (device) {
      const since = ts - DAY_MS;
      for (const [card, s] of device.cards) {
        if (card === t.card_id) continue;
        total++;
        if (s.last > since) recent++;
        const owners = this.cards.get(card)?.customers;
        if (owners) {
          customers ??= new Set<string>([t.customer_id]);
          for (const cu of owners.keys()) customers.add(cu);
        }
      }
    }
    return {
      device_cards_24h: recent,
      device_cards_total: total,
      device_customers: customers === null ? 1 : (customers as Set<string>).size,
      card_cluster_size: Math.max(this.liveClusterCards(t), this.clusterOverlay.get(t.card_id) ?? 0),
      fraud_within_2_hops: this.fraud.size === 0 ? 0 : this.fraudWithin2(t),
      ring_score: this.ringScoreOverlay.get(t.card_id) ?? 0,
    };
  }

  private liveClusterCards(
    t: Pick<Transaction, 'card_id' | 'device_id' | 'customer_id' | 'ip_address'>,
  ): number {
    const cardId = nodeId('Card', t.card_id);
    const roots = new Set<string>();
    const add = (id: string) => {
      if (this.parent.has(id)) roots.add(this.find(id));
    };
    let extra = this.parent.has(cardId) ? 0 : 1;
    add(cardId);
    // The customer always links; the device and IP when, with this transaction, they are
    // shared by at least minShared customers (then every neighbour's component joins). A
    // private one (only this card / this device) brings no other card; a weak one links nothing.
    if ((this.customers.get(t.customer_id)?.size ?? 0) <= this.hubDegree)
      add(nodeId('Customer', t.customer_id));
    const cards = this.devices.get(t.device_id)?.cards;
    const nd = (cards?.size ?? 0) + (cards?.has(t.card_id) ? 0 : 1);
    if (
      nd > 1 &&
      nd <= this.hubDegree &&
      this.deviceCustomers(t.device_id, t.customer_id).size >= this.minShared
    ) {
      add(nodeId('Device', t.device_id));
      if (cards) for (const c of cards.keys()) add(nodeId('Card', c));
    }
    const devices = this.ips.get(t.ip_address);
    const ni = (devices?.size ?? 0) + (devices?.has(t.device_id) ? 0 : 1);
    if (
      ni > 1 &&
      ni <= this.hubDegree &&
      this.ipCustomers(t.ip_address, t.customer_id).size >= this.minShared
    ) {
      add(nodeId('IP', t.ip_address));
      if (devices) for (const d of devices.keys()) add(nodeId('Device', d));
    }
    for (const r of roots) extra += this.rootCards.get(r) ?? 0;
    return extra;
  }

  /**
   * Confirmed-fraud identity nodes within two hops of the card (this transaction's device and
   * customer included), not fanning out through hubs. Membership is tested on raw keys per
   * label, so the usual case — nothing flagged nearby — builds no id strings and no sets.
   */
  private fraudWithin2(t: Pick<Transaction, 'card_id' | 'device_id' | 'customer_id' | 'ip_address'>): number {
    const F = this.fraud.byLabel;
    let hits: Set<string> | null = null;
    const hit = (label: NodeLabel, key: string): void => {
      hits ??= new Set<string>();
      hits.add(nodeId(label, key));
    };
    if (F.Card.has(t.card_id)) hit('Card', t.card_id);
    // Hop 1: the card's devices and customers, this transaction's included; hop 2 from each.
    const viaDevice = (d: string): void => {
      if (F.Device.has(d)) hit('Device', d);
      const dev = this.devices.get(d);
      if ((dev?.cards.size ?? 0) > this.hubDegree) return; // do not fan out through hubs
      if (dev) {
        for (const c of dev.cards.keys()) if (F.Card.has(c)) hit('Card', c);
        for (const ip of dev.ips.keys()) if (F.IP.has(ip)) hit('IP', ip);
      }
      if (d === t.device_id && F.IP.has(t.ip_address)) hit('IP', t.ip_address);
    };
    const viaCustomer = (cu: string): void => {
      if (F.Customer.has(cu)) hit('Customer', cu);
      const cards = this.customers.get(cu);
      if ((cards?.size ?? 0) > this.hubDegree) return;
      if (cards) for (const c of cards.keys()) if (F.Card.has(c)) hit('Card', c);
    };
    viaDevice(t.device_id);
    viaCustomer(t.customer_id);
    const card = this.cards.get(t.card_id);
    if (card) {
      for (const d of card.devices.keys()) if (d !== t.device_id) viaDevice(d);
      for (const cu of card.customers.keys()) if (cu !== t.customer_id) viaCustomer(cu);
    }
    return hits === null ? 0 : (hits as Set<string>).size;
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

  applyAnalysis(
    cluster: Map<string, number>,
    ringScore: Map<string, number>,
    ring: Map<string, string>,
  ): void {
    this.clusterOverlay = cluster;
    this.ringScoreOverlay = ringScore;
    this.ringOverlay = ring;
  }

  /** Resets the live union-find to the analysis's exact components (same rules, today's counts). */
  private rebuildSets(result: ComponentAnalysis): void {
    this.parent.clear();
    this.rootCards.clear();
    this.strong.clear();
    for (const group of result.groups) {
      const rep = group[0] as string;
      let cards = 0;
      for (const m of group) {
        this.parent.set(m, rep);
        if (m.startsWith('Card:')) cards++;
      }
      this.rootCards.set(rep, cards);
    }
    for (const hub of result.hubs) this.makeSet(hub, 0);
    for (const id of result.linking) this.strong.add(id);
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
        return this.txs.has(ref.key);
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
      for (const c of this.customers.get(key)?.keys() ?? [])
        out.push({ id: nodeId('Card', c), type: 'OWNS' });
    } else if (label === 'IP') {
      for (const d of this.ips.get(key)?.keys() ?? [])
        out.push({ id: nodeId('Device', d), type: 'SEEN_FROM' });
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

  /** The case view (see GraphBackend.neighbourhood). */
  neighbourhood(transactionId: string, hops: number, limit: number): GraphView | null {
    const rec = this.txs.get(transactionId);
    if (!rec?.row) return null;
    const r = rec.row;
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
        fraud: rec.fraud === true,
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
              properties: { since: iso(s.first) },
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
              properties: { count: s.count, first_seen: iso(s.first), last_seen: iso(s.last) },
            });
          }
        }
        const s = c.merchants.get(r.merchant_id);
        if (s) {
          edges.push({
            id: edgeId(id, 'TRANSACTED_AT', merchantNode),
            type: 'TRANSACTED_AT',
            source: id,
            target: merchantNode,
            properties: { count: s.count, amount: Math.round(s.amount * 100) / 100, last_seen: iso(s.last) },
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
              properties: { count: s.count, last_seen: iso(s.last) },
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
        Transaction: this.txs.size,
      },
      relationships: { OWNS: owns, USED_ON: usedOn, TRANSACTED_AT: at, SEEN_FROM: seenFrom },
    };
  }
}
