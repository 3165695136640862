/**
 * Rings: connected components over the shared identifiers card–device–IP–customer, with size,
 * fraud density and a community score (issue #6, items 3 and 7). Neo4j Community has no Graph
 * Data Science library, so both backends export their identity edges and run this one pure
 * function: the in-process graph and Neo4j give the same rings on the same data by
 * construction. Neo4j's first-party-fraud examples use the same idea (weakly connected
 * components over shared identifiers, then degree).
 */
import type { IdentityLabel } from './model.ts';

/** An undirected identity edge between two node ids (`Label:key`). */
export type IdentityEdge = readonly [string, string];

export interface RingOptions {
  /** A component is a ring when it has at least this many cards. Default 3. */
  readonly minCards?: number;
  /**
   * Identifiers linked to more than this many distinct cards (Device, Customer) or devices
   * (IP) are hubs (a carrier NAT IP, a shop's shared terminal) and are left out of components, or they
   * would merge unrelated cards. Default 50.
   */
  readonly hubDegree?: number;
  /**
   * A Device links the cards used on it, and an IP the devices seen from it, only when it is
   * private (one card / one device) or when the cards behind it belong to at least this many
   * distinct customers (default 4 — the brief's "more than three"). A family tablet or a home
   * router (2–3 customers) is a weak link and is left out: on 300k simulated transactions no
   * legitimate device had 4+ customers, while most ring devices had 6–8, and chains of weak
   * links percolated into one giant component on 1M transactions (docs/graph-model.md).
   * A Customer always links the cards it owns: ownership is identity, not sharing.
   * 1 = plain connected components.
   */
  readonly minShared?: number;
}

export const RING_DEFAULTS = Object.freeze({ minCards: 3, hubDegree: 50, minShared: 4 });

/**
 * Whether an identifier with `shared` card-side neighbours (Device: cards, IP: devices) and
 * `degree` card-side size (Customer: cards) links what it touches (see RingOptions.minShared).
 */
export function linksNeighbours(
  label: string,
  shared: number,
  degree: number,
  minShared: number,
  hubDegree: number,
): boolean {
  if (label === 'Card') return true;
  if (degree > hubDegree) return false;
  if (label === 'Customer') return true;
  return shared <= 1 || shared >= minShared;
}

export interface Ring {
  /** Deterministic: `ring:` + the smallest card id in the component. */
  readonly ring_id: string;
  /** Identity nodes in the component. */
  readonly size: number;
  readonly cards: number;
  readonly devices: number;
  readonly customers: number;
  readonly ips: number;
  /** Confirmed-fraud nodes in the component. */
  readonly fraud_entities: number;
  /** fraud_entities / size. */
  readonly fraud_density: number;
  /** Community score in [0,1], see {@link ringScore}. */
  readonly score: number;
  /** Node ids (`Label:key`), sorted. */
  readonly members: string[];
}

export interface ComponentAnalysis {
  /** Rings, highest score first (ties: larger first, then ring_id). */
  readonly rings: Ring[];
  /** Cards per component for every card (singletons included): the `card_cluster_size` signal. */
  readonly cardClusterSize: Map<string, number>;
  /** Ring score per card key, for cards in a ring. */
  readonly cardRingScore: Map<string, number>;
  /** Ring id per card key, for cards in a ring. */
  readonly cardRing: Map<string, string>;
  /** Hub node ids that were excluded. */
  readonly hubs: string[];
  readonly components: number;
  /** Every component's members (hubs excluded), for rebuilding live sets without re-deriving them. */
  readonly groups: string[][];
  /** Shared (side > 1) Devices and IPs that link their neighbours. */
  readonly linking: string[];
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * Community score, a transparent heuristic in [0,1]:
 * structure = (1 − 2/cards) · (0.5 + 0.5·(1 − 1/customers)) — many cards, spread over many
 * customers, sharing identifiers; fraud = 1 − 0.5^fraud_entities — each confirmed-fraud member
 * halves the remaining doubt. score = 1 − (1 − 0.6·structure)·(1 − fraud).
 */
export function ringScore(cards: number, customers: number, fraudEntities: number): number {
  const size = cards >= 2 ? 1 - 2 / cards : 0;
  const spread = customers >= 1 ? 1 - 1 / customers : 0;
  const structure = size * (0.5 + 0.5 * spread);
  const fraud = 1 - 0.5 ** fraudEntities;
  return round4(1 - (1 - 0.6 * structure) * (1 - fraud));
}

function labelOf(id: string): IdentityLabel {
  return id.slice(0, id.indexOf(':')) as IdentityLabel;
}

/** Union-find with path halving and union by size, over dense integer ids. */
class DisjointSet {
  parent: Int32Array;
  size: Int32Array;
  constructor(n: number) {
    this.parent = new Int32Array(n);
    this.size = new Int32Array(n).fill(1);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }
  find(x: number): number {
    const p = this.parent;
    while (p[x] !== x) {
      p[x] = p[p[x] as number] as number;
      x = p[x] as number;
    }
    return x;
  }
  union(a: number, b: number): void {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return;
    if ((this.size[ra] as number) < (this.size[rb] as number)) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.size[ra] = (this.size[ra] as number) + (this.size[rb] as number);
  }
}

/**
 * Connected components over identity edges (duplicates allowed), hubs removed, with ring
 * statistics. `nodes` lists every identity node (so isolated cards get cluster size 1).
 */
export function analyzeComponents(
  nodes: Iterable<string>,
  edges: Iterable<IdentityEdge>,
  fraud: ReadonlySet<string>,
  options: RingOptions = {},
): ComponentAnalysis {
  const minCards = options.minCards ?? RING_DEFAULTS.minCards;
  const hubDegree = options.hubDegree ?? RING_DEFAULTS.hubDegree;
  const index = new Map<string, number>();
  const names: string[] = [];
  const idOf = (n: string) => {
    let i = index.get(n);
    if (i === undefined) {
      i = names.length;
      index.set(n, i);
      names.push(n);
    }
    return i;
  };
  for (const n of nodes) idOf(n);
  // Distinct edges and degrees first: hubs and weak links are decided on distinct neighbours.
  // Edge keys are numbers (ia * n + ib < 2^53 for any realistic graph), not strings.
  const pairs: number[] = [];
  const seenPair = new Set<number>();
  for (const [a, b] of edges) {
    const ia = idOf(a);
    const ib = idOf(b);
    const k = ia < ib ? ia * 4_194_304 + ib : ib * 4_194_304 + ia;
    if (seenPair.has(k)) continue;
    seenPair.add(k);
    pairs.push(ia, ib);
  }
  const n = names.length;
  const degree = new Int32Array(n);
  const kind = new Uint8Array(n); // 0 Card, 1 Device, 2 Customer, 3 IP
  for (let i = 0; i < n; i++) {
    const l = labelOf(names[i] as string);
    kind[i] = l === 'Card' ? 0 : l === 'Device' ? 1 : l === 'Customer' ? 2 : 3;
  }
  // Adjacency towards customers: card -> customers, device -> cards, ip -> devices.
  const down: number[][] = Array.from({ length: n }, () => []);
  for (let j = 0; j < pairs.length; j += 2) {
    const a = pairs[j] as number;
    const b = pairs[j + 1] as number;
    degree[a] = (degree[a] as number) + 1;
    degree[b] = (degree[b] as number) + 1;
    const ka = kind[a] as number;
    const kb = kind[b] as number;
    if (ka === 0 && kb === 2) down[a]?.push(b);
    else if (kb === 0 && ka === 2) down[b]?.push(a);
    else if (ka === 1 && kb === 0) down[a]?.push(b);
    else if (kb === 1 && ka === 0) down[b]?.push(a);
    else if (ka === 3 && kb === 1) down[a]?.push(b);
    else if (kb === 3 && ka === 1) down[b]?.push(a);
  }
  // Distinct customers behind each device and IP (stamp array: no per-node sets).
  const stamp = new Int32Array(n).fill(-1);
  const customersBehind = (i: number): number => {
    let count = 0;
    const visitCard = (c: number) => {
      for (const cu of down[c] ?? []) {
        if (stamp[cu] !== i) {
          stamp[cu] = i;
          count++;
        }
      }
    };
    if (kind[i] === 1) for (const c of down[i] ?? []) visitCard(c);
    else for (const d of down[i] ?? []) for (const c of down[d] ?? []) visitCard(c);
    return count;
  };
  const minShared = options.minShared ?? RING_DEFAULTS.minShared;
  const isHub = new Uint8Array(n);
  const links = new Uint8Array(n);
  const hubs: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = names[i] as string;
    const k = kind[i] as number;
    if (k === 0) {
      links[i] = 1;
      continue;
    }
    // Size on the card side: cards of a Device or Customer, devices of an IP.
    const side = k === 2 ? (degree[i] as number) : (down[i]?.length ?? 0);
    if (side > hubDegree) {
      isHub[i] = 1;
      hubs.push(name);
      continue;
    }
    const customers = k === 2 || side <= 1 ? 0 : customersBehind(i);
    links[i] = linksNeighbours(labelOf(name), side, customers, minShared, hubDegree) ? 1 : 0;
  }
  const ds = new DisjointSet(n);
  for (let j = 0; j < pairs.length; j += 2) {
    const a = pairs[j] as number;
    const b = pairs[j + 1] as number;
    if (isHub[a] || isHub[b]) continue;
    // The identifier of the edge: the non-card end; for Device–IP, the IP.
    const ka = kind[a] as number;
    const kb = kind[b] as number;
    const id = ka === 0 ? b : kb === 0 ? a : ka === 3 ? a : b;
    if (!links[id]) continue;
    ds.union(a, b);
  }
  // Group members per root (hubs stay out of every component).
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    if (isHub[i]) continue;
    const r = ds.find(i);
    const g = groups.get(r);
    if (g) g.push(i);
    else groups.set(r, [i]);
  }
  const rings: Ring[] = [];
  const cardClusterSize = new Map<string, number>();
  const cardRingScore = new Map<string, number>();
  const cardRing = new Map<string, string>();
  for (const members of groups.values()) {
    let cards = 0;
    let devices = 0;
    let customers = 0;
    let ips = 0;
    let fraudEntities = 0;
    let minCard: string | null = null;
    for (const i of members) {
      const n = names[i] as string;
      const label = labelOf(n);
      if (label === 'Card') {
        cards++;
        const key = n.slice(5);
        if (minCard === null || key < minCard) minCard = key;
      } else if (label === 'Device') devices++;
      else if (label === 'Customer') customers++;
      else if (label === 'IP') ips++;
      if (fraud.has(n)) fraudEntities++;
    }
    for (const i of members) {
      const n = names[i] as string;
      if (labelOf(n) === 'Card') cardClusterSize.set(n.slice(5), cards);
    }
    if (cards < minCards || minCard === null) continue;
    const score = ringScore(cards, customers, fraudEntities);
    const ring: Ring = {
      ring_id: `ring:${minCard}`,
      size: members.length,
      cards,
      devices,
      customers,
      ips,
      fraud_entities: fraudEntities,
      fraud_density: round4(fraudEntities / members.length),
      score,
      members: members.map((i) => names[i] as string).sort(),
    };
    rings.push(ring);
    for (const m of ring.members) {
      if (labelOf(m) === 'Card') {
        cardRingScore.set(m.slice(5), score);
        cardRing.set(m.slice(5), ring.ring_id);
      }
    }
  }
  rings.sort((a, b) => b.score - a.score || b.size - a.size || (a.ring_id < b.ring_id ? -1 : 1));
  const linking: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = kind[i] as number;
    if ((k === 1 || k === 3) && links[i] && (down[i]?.length ?? 0) > 1) linking.push(names[i] as string);
  }
  const groupNames = [...groups.values()].map((g) => g.map((i) => names[i] as string));
  return {
    rings,
    cardClusterSize,
    cardRingScore,
    cardRing,
    hubs: hubs.sort(),
    components: groups.size,
    groups: groupNames,
    linking,
  };
}
