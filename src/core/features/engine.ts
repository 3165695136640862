import { RowArena } from '../collections/row-arena.ts';
import { RowPool } from '../collections/row-pool.ts';
import type { Transaction } from '../contracts/transaction.ts';
import {
  CARD_HISTORY_MS,
  CARD_STRIDE,
  CUSTOMER_HISTORY_MS,
  CUSTOMER_STRIDE,
  computeCard,
  computeContext,
  computeCustomer,
  computeLinks,
  computeRisk,
  countryCode,
  eventTime,
  FEATURE_COUNT,
  hash53,
  LINK_HISTORY_MS,
  LINK_STRIDE,
  newPoint,
  precedes,
  RISK_HISTORY_MS,
  RISK_WINDOW_MS,
  TIMELINE_STRIDE,
  type TxPoint,
  writeCardRow,
  writeCustomerRow,
} from './compute.ts';
import { DAY_MS, MINUTE_MS } from './definitions.ts';
import { LabelIndex } from './label-index.ts';
import { mayBePending, newPendingFilter, pendingBit } from './reduce.ts';

/** The fields of a transaction the features read (every `Transaction` is one). */
export type FeatureInput = Pick<
  Transaction,
  | 'transaction_id'
  | 'timestamp'
  | 'amount'
  | 'card_id'
  | 'merchant_id'
  | 'merchant_category'
  | 'customer_id'
  | 'merchant_country'
  | 'card_present'
  | 'device_id'
  | 'ip_address'
>;

/** Options of the in-process feature state (memory store and offline backfill). */
export interface FeatureEngineOptions {
  /**
   * Allowed lateness in ms (default 5 minutes). An event up to this much older than the
   * newest event seen gets exact features; state older than `window + lateness` is evicted.
   */
  allowedLatenessMs?: number;
  /**
   * Labels that arrive before their transaction are held until it arrives (default 100,000;
   * oldest dropped first and counted). The offline backfill sets it to Infinity.
   */
  pendingLabelCapacity?: number;
  /** Sweep idle entities every this many applied transactions (default 65,536). */
  sweepEvery?: number;
  /**
   * How long after a transaction its label can still arrive and count (default 120 days, the
   * longest usual chargeback time limit). Bounds the transaction_id → entities index.
   */
  labelHorizonMs?: number;
  /**
   * Keep every transaction in the label index (default true: labels arrive later, online).
   * The offline backfill knows every label up front (held as pending), so it sets false and
   * the index holds only labelled transactions — memory stays flat over millions of rows.
   */
  indexAll?: boolean;
  /**
   * Most transactions the label index keeps (default 2,000,000, about 0.5 GB). The horizon alone
   * does not bound it at production rates (5,000 tx/s × 120 days is 52 billion), so past this
   * the oldest go first, at each sweep, counted in `labelIndexEvicted`; a later label for one
   * of them waits as pending and is dropped at the horizon. A store that must honour every
   * chargeback for 120 days keeps the index outside the process (the Redis store does).
   */
  maxLabelIndex?: number;
}

export interface FeatureEngineStats {
  /** Transactions applied to the state. */
  applied: number;
  /** Transactions already in the state (replays): features computed, nothing applied. */
  replays: number;
  /** Transactions older than `watermark − allowedLateness` when they arrived. */
  lateEvents: number;
  labelsApplied: number;
  labelsDuplicate: number;
  labelsNotFraud: number;
  labelsPending: number;
  /** Pending labels dropped at capacity, or whose transaction never came within the horizon. */
  labelsDropped: number;
  watermark: number;
  cards: number;
  customers: number;
  devices: number;
  ips: number;
  merchants: number;
  categories: number;
  /** Transactions kept in the label index (transaction_id → entities) for the label horizon. */
  labelIndex: number;
  /** Transactions evicted from the label index by `maxLabelIndex` before their horizon. */
  labelIndexEvicted: number;
  /** Devices and IPs whose only row is held off the GC heap (a `RowPool` slot). */
  pooledRows: number;
}

// Halves of 30 bits fit a small integer (Smi) on every V8 build (31 bits with pointer compression).
const TWO_30 = 2 ** 30;

/**
 * An entity's id hash and newest event time, both 53-bit integers, each kept as two
 * small-integer fields: a double in a field is a heap object of its own, and with one entity
 * per IP seen (most of them once) those were a third of the objects of the feature state for
 * every major GC to mark. Reading one back is a multiply-add, exact below 2^53.
 */
class EntityState {
  private idHigh = 0;
  private idLow = 0;
  // "Never": below any event time.
  private latestHigh = -TWO_30;
  private latestLow = 0;

  /** hash53 of the entity's id, computed once instead of once per transaction. */
  get id(): number {
    return this.idHigh * TWO_30 + this.idLow;
  }
  set id(v: number) {
    const high = Math.floor(v / TWO_30);
    this.idHigh = high | 0;
    this.idLow = smallIfExact(v - high * TWO_30);
  }
  /** The newest event time applied, ms. */
  get latest(): number {
    return this.latestHigh * TWO_30 + this.latestLow;
  }
  set latest(v: number) {
    const high = Math.floor(v / TWO_30);
    this.latestHigh = high | 0;
    this.latestLow = smallIfExact(v - high * TWO_30);
  }
}

/**
 * The same number, as a small integer when it is one: arithmetic leaves a double that V8
 * would store boxed even when integral. (A fractional time stays exact, boxed.)
 */
function smallIfExact(v: number): number {
  return (v | 0) === v ? v | 0 : v;
}

/**
 * History of one entity (card, customer): its rows in the order applied, each starting with
 * its time, in `buf[start, end)`, a block of the engine's `RowArena` (none while empty).
 */
class History extends EntityState {
  buf: Float64Array = RowArena.EMPTY;
  start = 0;
  end = 0;
  /** Where the block ends in `buf`: rows fit while end + stride ≤ limit (0 without a block). */
  limit = 0;
  /** The arena block holding the rows, and its size; -1 and 0 without one. */
  addr = -1;
  size = 0;

  /** Makes room for one more row of `stride` numbers and returns where to write it. */
  append(stride: number, arena: RowArena): number {
    const at = this.end;
    if (at + stride <= this.limit) {
      this.end = at + stride;
      return at;
    }
    return this.move(stride, arena);
  }

  /** The block is full: slide the live rows down, or move them to a block twice the size. */
  private move(stride: number, arena: RowArena): number {
    const live = this.end - this.start;
    if (this.addr >= 0 && (live + stride) * 2 <= this.size) {
      // Mostly trimmed rows ahead of start: slide the live ones down instead of growing.
      this.buf.copyWithin(RowArena.offset(this.addr), this.start, this.end);
    } else {
      // More than half live: twice the block (a same-size block would fill again at once).
      const want = Math.max(live + stride, this.size * 2);
      const addr = arena.alloc(want);
      const buf = arena.chunk(addr);
      if (live > 0) buf.set(this.buf.subarray(this.start, this.end), RowArena.offset(addr));
      this.release(arena);
      this.addr = addr;
      this.size = RowArena.blockSize(want);
      this.buf = buf;
    }
    this.start = RowArena.offset(this.addr);
    this.limit = this.start + this.size;
    this.end = this.start + live + stride;
    return this.end - stride;
  }

  /** Drops rows from the head while their time is ≤ cutoff; gives the block back once empty. */
  trim(cutoff: number, stride: number, arena: RowArena): void {
    const buf = this.buf;
    let s = this.start;
    const end = this.end;
    while (s < end && buf[s]! <= cutoff) s += stride;
    if (s >= end) this.release(arena);
    else this.start = s;
  }

  /** Gives the block back (eviction, or no rows left). */
  release(arena: RowArena): void {
    if (this.addr >= 0) arena.release(this.addr, this.size);
    this.addr = -1;
    this.size = 0;
    this.buf = RowArena.EMPTY;
    this.start = 0;
    this.end = 0;
    this.limit = 0;
  }
}

/**
 * Risk entity (merchant, category, device, IP): its transactions as a timeline sorted by
 * (time, hash), and its frauds. A merchant's or category's rows are (time, hash)
 * (TIMELINE_STRIDE); a device's or IP's are (time, hash, card) (LINK_STRIDE), so the same
 * timeline also answers its distinct-card counts: one array per entity instead of two, and
 * most IPs are seen once, so every object of entity state is one more for each major GC to
 * mark. The stride is fixed per kind and passed by the caller.
 *
 * A device or IP with a single row keeps it in a `RowPool` slot instead, off the GC heap,
 * until its second transaction moves both into an array (`rowsOf` reads either).
 */
class RiskState extends EntityState {
  /** Rows sorted ascending by (time, hash), live from `tlStart`; NO_ROWS until there are some. */
  tl: number[] = NO_ROWS;
  tlStart = 0;
  /** The `RowPool` slot of the only row of a device or IP (`tl` is then NO_ROWS), or -1. */
  slot = -1;
  /** Its place in its kind's `RiskTable`, and that place's generation when it was given. */
  ref = -1;
  gen = 0;
  /** `labeled_at` of the fraud labels on its transactions, sorted ascending. */
  fraud: number[] | null = null;
  fraudStart = 0;
  /**
   * Per risk window, where its start was found last time (an index into `tl`). Event time
   * mostly advances, so each window's start only moves forward a little: walking from the
   * hint replaces a binary search. A hint is only a starting point, always re-checked.
   */
  hint0 = 0;
  hint1 = 0;
  hint2 = 0;

  /** Inserts x's row ((time, hash), plus its card when stride is LINK_STRIDE) in order. */
  insert(x: TxPoint, stride: number, pool: RowPool): void {
    const tl = this.tl;
    const n = tl.length;
    const time = x.time;
    const hash = x.hash;
    if (tl === NO_ROWS) {
      if (stride !== LINK_STRIDE) {
        this.tl = [time, hash];
      } else if (this.slot < 0) {
        const slot = pool.take();
        pool.set(slot, 0, time);
        pool.set(slot, 1, hash);
        pool.set(slot, 2, x.card);
        this.slot = slot;
      } else {
        // The second row: both move to an array, in order.
        const slot = this.slot;
        const t = pool.get(slot, 0);
        const h = pool.get(slot, 1);
        const c = pool.get(slot, 2);
        pool.give(slot);
        this.slot = -1;
        // A row at a time, as an array grows in `push` below: the capacity V8 gives a first
        // row leaves room for the next few (a literal's exact capacity does not).
        const rows: number[] = [];
        if (precedes(t, h, x)) {
          rows.push(t, h, c);
          rows.push(time, hash, x.card);
        } else {
          rows.push(time, hash, x.card);
          rows.push(t, h, c);
        }
        this.tl = rows;
      }
      return;
    }
    if (n === this.tlStart || precedes(tl[n - stride]!, tl[n - stride + 1]!, x)) {
      if (stride === LINK_STRIDE) tl.push(time, hash, x.card);
      else tl.push(time, hash);
      return;
    }
    // Out of order (late event): insert at its sorted position.
    const pos = lowerBound(tl, this.tlStart, n, time, hash, stride);
    if (stride === LINK_STRIDE) tl.splice(pos, 0, time, hash, x.card);
    else tl.splice(pos, 0, time, hash);
  }

  trim(cutoff: number, stride: number): void {
    const tl = this.tl;
    let s = this.tlStart;
    while (s < tl.length && tl[s]! <= cutoff) s += stride;
    // (A pooled entity's tl is NO_ROWS: it stays so, and its one row is the one just inserted.)
    if (s >= tl.length) {
      this.tl = NO_ROWS;
      this.tlStart = 0;
    } else if (s > 64 && s * 2 > tl.length) {
      this.tl = tl.slice(s);
      this.tlStart = 0;
      this.hint0 = Math.max(0, this.hint0 - s);
      this.hint1 = Math.max(0, this.hint1 - s);
      this.hint2 = Math.max(0, this.hint2 - s);
    } else {
      this.tlStart = s;
    }
    const fraud = this.fraud;
    if (fraud !== null) {
      let f = this.fraudStart;
      while (f < fraud.length && fraud[f]! <= cutoff) f++;
      if (f >= fraud.length) {
        this.fraud = null;
        this.fraudStart = 0;
      } else if (f > 64 && f * 2 > fraud.length) {
        this.fraud = fraud.slice(f);
        this.fraudStart = 0;
      } else {
        this.fraudStart = f;
      }
    }
  }

  /** Gives back its pool slot, if it holds one (the row is forgotten). */
  free(pool: RowPool): void {
    if (this.slot >= 0) {
      pool.give(this.slot);
      this.slot = -1;
    }
  }

  addFraud(labeledAt: number): void {
    this.fraud ??= [];
    const fraud = this.fraud;
    let pos = fraud.length;
    while (pos > this.fraudStart && fraud[pos - 1]! > labeledAt) pos--;
    if (pos === fraud.length) fraud.push(labeledAt);
    else fraud.splice(pos, 0, labeledAt);
  }
}

const TWO_31 = 2 ** 31;
/** Generations wrap here, so a handle (gen · 2^31 + ref) stays an exact integer below 2^53. */
const GEN_MASK = (1 << 21) - 1;

/**
 * The live risk entities of one kind by a small integer `ref`, so the label index can hold
 * numeric handles instead of references (see LabelIndex). A ref is reused after its entity is
 * evicted, with the next generation: a handle of the evicted entity then resolves to nothing,
 * and a label for its transaction credits nothing, as it credited only the unreachable evicted
 * state before.
 */
class RiskTable {
  private readonly states: (RiskState | undefined)[] = [];
  private readonly free: number[] = [];
  private gens = new Int32Array(1024);

  add(s: RiskState): void {
    const ref = this.free.pop() ?? this.states.length;
    if (ref >= this.gens.length) {
      const gens = new Int32Array(this.gens.length * 2);
      gens.set(this.gens);
      this.gens = gens;
    }
    this.states[ref] = s;
    s.ref = ref;
    s.gen = this.gens[ref]!;
  }

  remove(s: RiskState): void {
    const ref = s.ref;
    this.states[ref] = undefined;
    this.gens[ref] = (this.gens[ref]! + 1) & GEN_MASK;
    this.free.push(ref);
  }

  handle(s: RiskState): number {
    return s.gen * TWO_31 + s.ref;
  }

  /** The entity a handle names, if it is still the one given that handle. */
  find(handle: number): RiskState | undefined {
    const ref = handle % TWO_31;
    const s = this.states[ref];
    return s !== undefined && s.gen === (handle - ref) / TWO_31 ? s : undefined;
  }
}

/** The shared "no rows yet" timeline; never written (insert replaces it first). */
const NO_ROWS: number[] = [];
/** Where rowsOf copies a pooled device's and IP's row. */
const DEVICE_ROW: number[] = [0.5, 0.5, 0.5];
const IP_ROW: number[] = [0.5, 0.5, 0.5];

/**
 * The entity's timeline: `tl`, or its one pooled row copied into `scratch` (LINK_STRIDE long,
 * one per caller that needs two at once), read with the same code either way.
 */
function rowsOf(s: RiskState, pool: RowPool, scratch: number[]): number[] {
  if (s.slot < 0) return s.tl;
  pool.read(s.slot, scratch);
  return scratch;
}

// A device's and an IP's distinct cards are read from their risk timeline, which must
// therefore keep at least the link windows.
if (LINK_HISTORY_MS > RISK_HISTORY_MS) throw new Error('link windows must not outlast the risk history');

/** First row index in [from, to) whose (time, hash) is not less than (time, hash). */
function lowerBound(
  tl: number[],
  from: number,
  to: number,
  time: number,
  hash: number,
  stride: number,
): number {
  let lo = from / stride;
  let hi = to / stride;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const mt = tl[mid * stride]!;
    if (mt < time || (mt === time && tl[mid * stride + 1]! < hash)) lo = mid + 1;
    else hi = mid;
  }
  return lo * stride;
}

/** First row index in [from, to) whose time is > time. */
function upperBoundTime(tl: number[], from: number, to: number, time: number, stride: number): number {
  let lo = from / stride;
  let hi = to / stride;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tl[mid * stride]! <= time) lo = mid + 1;
    else hi = mid;
  }
  return lo * stride;
}

/** First index in [from, to) of a sorted array whose value is > v. */
function upperBound(a: number[], from: number, to: number, v: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * For each risk window k: out[offset + k] = the entity's transactions preceding x in
 * (t − w, t]; out[offset + 3 + k] = its fraud labels with labeled_at in (t − w, t].
 * Returns the end of the rows preceding x (an index into `tl`).
 */
function countRisk(
  s: RiskState,
  tl: number[],
  x: TxPoint,
  stride: number,
  out: Float64Array,
  offset: number,
): number {
  const n = tl.length;
  // Fast path: in-order arrival, every stored transaction precedes x.
  const hi =
    n === s.tlStart || precedes(tl[n - stride]!, tl[n - stride + 1]!, x)
      ? n
      : lowerBound(tl, s.tlStart, n, x.time, x.hash, stride);
  const fraud = s.fraud;
  const fhi = fraud === null ? 0 : upperBound(fraud, s.fraudStart, fraud.length, x.time);
  const start = s.tlStart;
  // The windows' starts: the first row with time > t − w (a unique position in the sorted
  // timeline, however it is found), searched from where it was last time.
  const lo0 = windowStart(tl, start, hi, x.time - RISK_WINDOW_MS[0]!, s.hint0, stride);
  const lo1 = windowStart(tl, start, hi, x.time - RISK_WINDOW_MS[1]!, s.hint1, stride);
  const lo2 = windowStart(tl, start, hi, x.time - RISK_WINDOW_MS[2]!, s.hint2, stride);
  s.hint0 = lo0;
  s.hint1 = lo1;
  s.hint2 = lo2;
  out[offset] = (hi - lo0) / stride;
  out[offset + 1] = (hi - lo1) / stride;
  out[offset + 2] = (hi - lo2) / stride;
  if (fraud === null) {
    out[offset + 3] = 0;
    out[offset + 4] = 0;
    out[offset + 5] = 0;
  } else {
    const fs = s.fraudStart;
    out[offset + 3] = fhi - upperBound(fraud, fs, fhi, x.time - RISK_WINDOW_MS[0]!);
    out[offset + 4] = fhi - upperBound(fraud, fs, fhi, x.time - RISK_WINDOW_MS[1]!);
    out[offset + 5] = fhi - upperBound(fraud, fs, fhi, x.time - RISK_WINDOW_MS[2]!);
  }
  return hi;
}

/**
 * A device's or IP's distinct cards (`kind` 0 or 1) from its timeline: the rows preceding x
 * (up to `hi`, from countRisk) within the longest link window.
 */
function countLinks(
  s: RiskState,
  tl: number[],
  x: TxPoint,
  kind: 0 | 1,
  hi: number,
  out: Float64Array,
): void {
  // The 7-day risk window's start, just found, is usually the link window's too.
  const from = windowStart(tl, s.tlStart, hi, x.time - LINK_HISTORY_MS, s.hint1, LINK_STRIDE);
  computeLinks(x, kind, tl, from, hi, out);
}

/** First row index in [from, to) whose time is > lower (or `to`), searched from `hint`. */
function windowStart(
  tl: number[],
  from: number,
  to: number,
  lower: number,
  hint: number,
  stride: number,
): number {
  let lo = hint < from ? from : Math.min(hint, to);
  if (lo > from && tl[lo - stride]! > lower) return upperBoundTime(tl, from, lo, lower, stride);
  // Walk a few steps, then fall back to binary search.
  for (let steps = 0; steps < 8; steps++) {
    if (lo >= to || tl[lo]! > lower) return lo;
    lo += stride;
  }
  return upperBoundTime(tl, lo, to, lower, stride);
}

/**
 * The in-process feature state and engine: applies transactions and labels and computes the
 * point-in-time vector with the pure functions of `compute.ts`. Synchronous and
 * single-threaded; the memory store and the offline backfill both run exactly this code,
 * which is what makes online/offline parity hold by construction.
 */
export class FeatureEngine {
  readonly allowedLatenessMs: number;
  readonly labelHorizonMs: number;
  private readonly indexAll: boolean;
  private readonly maxLabelIndex: number;
  private readonly pendingCapacity: number;
  private readonly sweepEvery: number;
  private readonly cards = new Map<string, History>();
  private readonly customers = new Map<string, History>();
  /** RISK_ENTITIES order: merchant, category, device, IP. */
  private readonly risk: Map<string, RiskState>[] = [new Map(), new Map(), new Map(), new Map()];
  /**
   * The same state keyed by small integer ids the caller assigned (`enrichIds`; the backfill's
   * reader thread numbers entities at first sight): an array index instead of hashing a string
   * per entity and transaction. ENTITY_KINDS order. An engine uses names or ids, never both.
   */
  private readonly byId: (History | RiskState | undefined)[][] = [[], [], [], [], [], []];
  /** hash53 of each id's name (`defineEntity`), ENTITY_KINDS order. */
  private readonly idHash: number[][] = [[], [], [], [], [], []];
  private keying: 'names' | 'ids' | null = null;
  /** transaction_id → entities, for labels (which name only the transaction), bounded by the label horizon. */
  private readonly index = new LabelIndex();
  /** RISK_ENTITIES order; every RiskState is in its kind's table while it is live. */
  private readonly tables = [new RiskTable(), new RiskTable(), new RiskTable(), new RiskTable()];
  /** The single rows of devices and IPs seen once (RiskState.slot). */
  private readonly pool = new RowPool(LINK_STRIDE);
  /** The row histories of cards and customers (History.buf). */
  private readonly arena = new RowArena();
  /** transaction_id → labeled_at, for labels that arrived before their transaction. */
  private readonly pending = new Map<string, number>();
  /**
   * Bit set over the low bits of hash53(transaction_id) of pending labels (never cleared
   * until the map is empty): a clear bit proves "no pending label", which skips a Map
   * lookup per transaction while the backfill holds thousands of labels up front.
   */
  private readonly pendingBits = newPendingFilter();
  private readonly point: TxPoint = newPoint();
  private readonly riskCounts = new Float64Array(4 * 2 * RISK_WINDOW_MS.length);
  private sinceSweep = 0;
  /**
   * Sink of the early reads in enrichStates, written so the compiler keeps them. Internal;
   * its value means nothing.
   */
  warm = 0;
  private readonly s: FeatureEngineStats = {
    applied: 0,
    replays: 0,
    lateEvents: 0,
    labelsApplied: 0,
    labelsDuplicate: 0,
    labelsNotFraud: 0,
    labelsPending: 0,
    labelsDropped: 0,
    watermark: Number.NEGATIVE_INFINITY,
    cards: 0,
    customers: 0,
    devices: 0,
    ips: 0,
    merchants: 0,
    categories: 0,
    labelIndex: 0,
    labelIndexEvicted: 0,
    pooledRows: 0,
  };

  constructor(options: FeatureEngineOptions = {}) {
    this.allowedLatenessMs = options.allowedLatenessMs ?? 5 * MINUTE_MS;
    this.pendingCapacity = options.pendingLabelCapacity ?? 100_000;
    this.sweepEvery = options.sweepEvery ?? 65_536;
    this.labelHorizonMs = options.labelHorizonMs ?? 120 * DAY_MS;
    this.indexAll = options.indexAll ?? true;
    this.maxLabelIndex = options.maxLabelIndex ?? 2_000_000;
    if (!(this.allowedLatenessMs >= 0)) throw new Error('allowedLatenessMs must be ≥ 0');
  }

  /**
   * Computes x's point-in-time vector into `out` (length FEATURE_COUNT) and applies x,
   * unless it is already in the state (a replay: nothing is applied, the vector is
   * recomputed and equals the first one unless late events arrived in between).
   */
  enrich(tx: FeatureInput, out: Float64Array = new Float64Array(FEATURE_COUNT)): Float64Array {
    // Reduced in this order so an invalid timestamp throws before anything is touched.
    const time = eventTime(tx.timestamp);
    return this.enrichReduced(
      tx.transaction_id,
      time,
      hash53(tx.transaction_id),
      tx.amount,
      countryCode(tx.merchant_country),
      tx.card_present,
      tx.card_id,
      tx.customer_id,
      tx.merchant_id,
      tx.merchant_category,
      tx.device_id,
      tx.ip_address,
      out,
    );
  }

  /**
   * `enrich` with the timestamp, the transaction id hash and the country already reduced to
   * numbers (`eventTime`, `hash53`, `countryCode`): the backfill's reader thread does that
   * work, off the engine's thread. `enrich` itself runs exactly this code.
   */
  enrichReduced(
    transactionId: string,
    time: number,
    hash: number,
    amount: number,
    country: number,
    cardPresent: boolean,
    cardId: string,
    customerId: string,
    merchantId: string,
    merchantCategory: string,
    deviceId: string,
    ipAddress: string,
    out: Float64Array,
  ): Float64Array {
    if (this.keying !== 'names') this.useKeying('names');
    return this.enrichStates(
      transactionId,
      time,
      hash,
      amount,
      country,
      cardPresent,
      getHistory(this.cards, cardId),
      getHistory(this.customers, customerId),
      getRisk(this.risk[0]!, this.tables[0]!, merchantId),
      getRisk(this.risk[1]!, this.tables[1]!, merchantCategory),
      getRisk(this.risk[2]!, this.tables[2]!, deviceId),
      getRisk(this.risk[3]!, this.tables[3]!, ipAddress),
      out,
    );
  }

  /**
   * Names entity `id` of kind `kind` (ENTITY_KINDS order) for `enrichIds`: `hash` is hash53 of
   * its name (the id string of the transaction), which distinct counts compare. Call it once
   * per id, before the first transaction that uses the id.
   */
  defineEntity(kind: number, id: number, hash: number): void {
    this.idHash[kind]![id] = hash;
  }

  /**
   * `enrichReduced` with the six entities given as ids (`defineEntity`) instead of their names:
   * card, customer, merchant, category, device, IP. The same computation on the same state, so
   * the same vectors. `transactionId` may be undefined unless a pending label may be waiting
   * for this transaction (`mayBePending(pendingFilter(), hash)`) or the engine indexes every
   * transaction (`indexAll`); it is then required.
   */
  enrichIds(
    transactionId: string | undefined,
    time: number,
    hash: number,
    amount: number,
    country: number,
    cardPresent: boolean,
    cardId: number,
    customerId: number,
    merchantId: number,
    categoryId: number,
    deviceId: number,
    ipId: number,
    out: Float64Array,
  ): Float64Array {
    if (this.keying !== 'ids') this.useKeying('ids');
    const byId = this.byId;
    const idHash = this.idHash;
    const tables = this.tables;
    return this.enrichStates(
      transactionId,
      time,
      hash,
      amount,
      country,
      cardPresent,
      (byId[0]![cardId] as History | undefined) ?? newHistory(byId[0]!, idHash[0]!, cardId),
      (byId[1]![customerId] as History | undefined) ?? newHistory(byId[1]!, idHash[1]!, customerId),
      (byId[2]![merchantId] as RiskState | undefined) ??
        newRisk(byId[2]!, idHash[2]!, tables[0]!, merchantId),
      (byId[3]![categoryId] as RiskState | undefined) ??
        newRisk(byId[3]!, idHash[3]!, tables[1]!, categoryId),
      (byId[4]![deviceId] as RiskState | undefined) ?? newRisk(byId[4]!, idHash[4]!, tables[2]!, deviceId),
      (byId[5]![ipId] as RiskState | undefined) ?? newRisk(byId[5]!, idHash[5]!, tables[3]!, ipId),
      out,
    );
  }

  /**
   * A copy of the pending-label filter (bit set over hash53 of the transaction ids that have a
   * pending label): with `mayBePending`, a caller of `enrichIds` learns which transactions
   * need their id string. Valid until the next `addLabel`.
   */
  pendingFilter(): Uint32Array | null {
    return this.pending.size === 0 ? null : this.pendingBits.slice();
  }

  private useKeying(keying: 'names' | 'ids'): void {
    if (this.keying !== null && this.keying !== keying) {
      throw new Error('a FeatureEngine keys its entities by names (enrich) or by ids (enrichIds), not both');
    }
    this.keying = keying;
  }

  /** The computation and the update, on the six entities' state objects. */
  private enrichStates(
    transactionId: string | undefined,
    time: number,
    hash: number,
    amount: number,
    country: number,
    cardPresent: boolean,
    card: History,
    customer: History,
    merchant: RiskState,
    category: RiskState,
    device: RiskState,
    ip: RiskState,
    out: Float64Array,
  ): Float64Array {
    // Checked before anything is touched (enrichIds; enrich always has the id).
    if (transactionId === undefined) {
      if (this.indexAll) throw new Error('enrichIds: the label index needs every transaction id');
      if (this.pending.size > 0 && this.mayBePending(hash)) {
        throw new Error('enrichIds: this transaction needs its id (a label may be pending)');
      }
    }
    // The point equals toPoint(tx), with the entities' id hashes taken from their state.
    const x = this.point;
    x.time = time;
    const L = this.allowedLatenessMs;
    // Read each entity's newest row first, all together: the eight reads are independent, so
    // their cache misses overlap here instead of coming one after another in each
    // computation below (the engine waits on memory more than it computes).
    this.warm =
      newestRow(card, CARD_STRIDE) +
      newestRow(customer, CUSTOMER_STRIDE) +
      newest(merchant.tl, TIMELINE_STRIDE) +
      newest(category.tl, TIMELINE_STRIDE) +
      newest(device.tl, LINK_STRIDE) +
      newest(ip.tl, LINK_STRIDE) +
      oldestRow(card) +
      oldestRow(customer) +
      at(merchant.tl, merchant.hint2) +
      at(category.tl, category.hint2) +
      at(merchant.tl, merchant.hint1) +
      at(category.tl, category.hint1) +
      at(device.tl, device.hint2) +
      at(ip.tl, ip.hint2);
    x.hash = hash;
    x.amount = amount;
    x.merchant = merchant.id;
    x.device = device.id;
    x.ip = ip.id;
    x.card = card.id;
    x.country = country;
    x.present = cardPresent ? 1 : 0;

    const replay = computeCard(x, card.buf, card.start, card.end, out);
    computeCustomer(x, customer.buf, customer.start, customer.end, out);
    const counts = this.riskCounts;
    countRisk(merchant, merchant.tl, x, TIMELINE_STRIDE, counts, 0);
    countRisk(category, category.tl, x, TIMELINE_STRIDE, counts, 6);
    const deviceRows = rowsOf(device, this.pool, DEVICE_ROW);
    const ipRows = rowsOf(ip, this.pool, IP_ROW);
    countLinks(device, deviceRows, x, 0, countRisk(device, deviceRows, x, LINK_STRIDE, counts, 12), out);
    countLinks(ip, ipRows, x, 1, countRisk(ip, ipRows, x, LINK_STRIDE, counts, 18), out);
    for (let e = 0; e < 4; e++) computeRisk(e, counts, e * 6, out);
    computeContext(x, out);

    if (replay) {
      this.s.replays++;
      return out;
    }
    // Apply. Trimming is relative to this event's time, so a late event never evicts what
    // a newer one still needs; anything it could trim is older than every live window.
    if (x.time < this.s.watermark - L) this.s.lateEvents++;
    if (x.time > this.s.watermark) this.s.watermark = x.time;
    const arena = this.arena;
    // (append first: it may move the rows to a new block, so read buf after it.)
    const cardAt = card.append(CARD_STRIDE, arena);
    writeCardRow(x, card.buf, cardAt);
    card.trim(x.time - CARD_HISTORY_MS - L, CARD_STRIDE, arena);
    if (x.time > card.latest) card.latest = x.time;
    const customerAt = customer.append(CUSTOMER_STRIDE, arena);
    writeCustomerRow(x, customer.buf, customerAt);
    customer.trim(x.time - CUSTOMER_HISTORY_MS - L, CUSTOMER_STRIDE, arena);
    if (x.time > customer.latest) customer.latest = x.time;
    const riskCutoff = x.time - RISK_HISTORY_MS - L;
    const pool = this.pool;
    applyRisk(merchant, x, riskCutoff, TIMELINE_STRIDE, pool);
    applyRisk(category, x, riskCutoff, TIMELINE_STRIDE, pool);
    applyRisk(device, x, riskCutoff, LINK_STRIDE, pool);
    applyRisk(ip, x, riskCutoff, LINK_STRIDE, pool);
    const labeledAt =
      transactionId !== undefined && this.pending.size > 0 && this.mayBePending(x.hash)
        ? this.pending.get(transactionId)
        : undefined;
    if (transactionId !== undefined && (this.indexAll || labeledAt !== undefined)) {
      const t = this.tables;
      const at = this.index.set(
        transactionId,
        x.time,
        t[0]!.handle(merchant),
        t[1]!.handle(category),
        t[2]!.handle(device),
        t[3]!.handle(ip),
      );
      if (labeledAt !== undefined) {
        this.pending.delete(transactionId);
        if (this.pending.size === 0) this.pendingBits.fill(0);
        this.applyFraud(at, labeledAt);
      }
    }
    this.s.applied++;
    if (++this.sinceSweep >= this.sweepEvery) this.sweep();
    return out;
  }

  /**
   * Records a label. Only fraud labels feed the risk features; the first fraud label of a
   * transaction wins (duplicates and redeliveries are ignored). Visibility is decided by
   * event time (`labeled_at ≤ t` of the transaction being scored), not by arrival.
   */
  addLabel(transactionId: string, isFraud: boolean, labeledAtMs: number): void {
    if (!isFraud) {
      this.s.labelsNotFraud++;
      return;
    }
    const at = this.index.find(transactionId);
    if (at < 0) {
      if (labeledAtMs <= this.s.watermark - this.labelHorizonMs) {
        this.s.labelsDropped++;
        return;
      }
      if (this.pending.has(transactionId)) {
        this.s.labelsDuplicate++;
        return;
      }
      this.pending.set(transactionId, labeledAtMs);
      const bit = pendingBit(hash53(transactionId));
      this.pendingBits[bit >>> 5]! |= 1 << (bit & 31);
      while (this.pending.size > this.pendingCapacity) {
        const oldest = this.pending.keys().next().value as string;
        this.pending.delete(oldest);
        if (this.pending.size === 0) this.pendingBits.fill(0);
        this.s.labelsDropped++;
      }
      return;
    }
    if (this.index.isLabelled(at)) {
      this.s.labelsDuplicate++;
      return;
    }
    this.applyFraud(at, labeledAtMs);
  }

  private mayBePending(hash: number): boolean {
    return mayBePending(this.pendingBits, hash);
  }

  /** Credits a fraud label to the indexed transaction at `at`'s merchant, category, device and IP. */
  private applyFraud(at: number, labeledAtMs: number): void {
    const index = this.index;
    index.markLabelled(at);
    for (let k = 0; k < 4; k++) this.tables[k]!.find(index.entity(at, k))?.addFraud(labeledAtMs);
    this.s.labelsApplied++;
  }

  /** Evicts idle entities and label-index entries past their horizon. */
  sweep(): void {
    this.sinceSweep = 0;
    const wm = this.s.watermark;
    const L = this.allowedLatenessMs;
    evictIdleHistory(this.cards, wm - CARD_HISTORY_MS - L, this.arena);
    evictIdleHistory(this.customers, wm - CUSTOMER_HISTORY_MS - L, this.arena);
    for (let k = 0; k < 4; k++)
      evictIdleRisk(this.risk[k]!, this.tables[k]!, wm - RISK_HISTORY_MS - L, this.pool);
    // Keyed by ids: the slot is emptied (the id stays the caller's); its next transaction
    // starts from fresh state, exactly as a name seen again after eviction does.
    evictIdleHistoryIds(this.byId[0]! as (History | undefined)[], wm - CARD_HISTORY_MS - L, this.arena);
    evictIdleHistoryIds(this.byId[1]! as (History | undefined)[], wm - CUSTOMER_HISTORY_MS - L, this.arena);
    for (let k = 2; k < 6; k++)
      evictIdleRiskIds(
        this.byId[k]! as (RiskState | undefined)[],
        this.tables[k - 2]!,
        wm - RISK_HISTORY_MS - L,
        this.pool,
      );
    // Labels name only the transaction; the index maps it to its entities for the label
    // horizon (chargebacks arrive up to ~120 days later). Older labels are dropped, counted.
    this.index.dropUntil(wm - this.labelHorizonMs);
    // Then the size cap, oldest first (the index keeps arrival order).
    const excess = this.index.size - this.maxLabelIndex;
    if (excess > 0) {
      this.s.labelIndexEvicted += excess;
      this.index.dropOldest(excess);
    }
  }

  stats(): FeatureEngineStats {
    const s = this.s;
    const live = this.byId.map((states) => states.reduce((n, v) => (v === undefined ? n : n + 1), 0));
    s.cards = this.cards.size + live[0]!;
    s.customers = this.customers.size + live[1]!;
    s.merchants = this.risk[0]!.size + live[2]!;
    s.categories = this.risk[1]!.size + live[3]!;
    s.devices = this.risk[2]!.size + live[4]!;
    s.ips = this.risk[3]!.size + live[5]!;
    s.labelIndex = this.index.size;
    s.labelsPending = this.pending.size;
    s.pooledRows = this.pool.size;
    return { ...s };
  }
}

/** The time of the newest row of a history (0 if empty). */
function newest(rows: number[], stride: number): number {
  const n = rows.length;
  return n >= stride ? rows[n - stride]! : 0;
}

/** rows[i], or 0 past the end. */
function at(rows: number[], i: number): number {
  return i < rows.length ? rows[i]! : 0;
}

/** The time of a history's newest row, or 0. */
function newestRow(h: History, stride: number): number {
  return h.end > h.start ? h.buf[h.end - stride]! : 0;
}

/** The time of a history's oldest live row, or 0. */
function oldestRow(h: History): number {
  return h.end > h.start ? h.buf[h.start]! : 0;
}

function applyRisk(r: RiskState, x: TxPoint, cutoff: number, stride: number, pool: RowPool): void {
  r.insert(x, stride, pool);
  r.trim(cutoff, stride);
  if (x.time > r.latest) r.latest = x.time;
}

// One lookup helper per state class keeps each call site monomorphic.
function getHistory(map: Map<string, History>, key: string): History {
  let v = map.get(key);
  if (v === undefined) {
    v = new History();
    v.id = hash53(key);
    map.set(key, v);
  }
  return v;
}

function getRisk(map: Map<string, RiskState>, table: RiskTable, key: string): RiskState {
  let v = map.get(key);
  if (v === undefined) {
    v = new RiskState();
    v.id = hash53(key);
    table.add(v);
    map.set(key, v);
  }
  return v;
}

function evictIdleHistory(map: Map<string, History>, cutoff: number, arena: RowArena): void {
  // forEach, not for…of: the iterator's [key, value] entry per entity (a million at a sweep)
  // outlived the scavenges during the sweep and was promoted.
  map.forEach((v, k) => {
    if (v.latest <= cutoff) {
      v.release(arena);
      map.delete(k);
    }
  });
}

function evictIdleRisk(map: Map<string, RiskState>, table: RiskTable, cutoff: number, pool: RowPool): void {
  map.forEach((v, k) => {
    if (v.latest <= cutoff) {
      v.free(pool);
      table.remove(v);
      map.delete(k);
    }
  });
}

function newHistory(states: (History | RiskState | undefined)[], hashes: number[], id: number): History {
  const v = new History();
  v.id = entityHash(hashes, id);
  states[id] = v;
  return v;
}

function newRisk(
  states: (History | RiskState | undefined)[],
  hashes: number[],
  table: RiskTable,
  id: number,
): RiskState {
  const v = new RiskState();
  v.id = entityHash(hashes, id);
  table.add(v);
  states[id] = v;
  return v;
}

function entityHash(hashes: number[], id: number): number {
  const h = hashes[id];
  if (h === undefined) throw new Error(`enrichIds: entity id ${id} was not defined (defineEntity)`);
  return h;
}

function evictIdleHistoryIds(states: (History | undefined)[], cutoff: number, arena: RowArena): void {
  for (let id = 0; id < states.length; id++) {
    const v = states[id];
    if (v !== undefined && v.latest <= cutoff) {
      v.release(arena);
      states[id] = undefined;
    }
  }
}

function evictIdleRiskIds(
  states: (RiskState | undefined)[],
  table: RiskTable,
  cutoff: number,
  pool: RowPool,
): void {
  for (let id = 0; id < states.length; id++) {
    const v = states[id];
    if (v !== undefined && v.latest <= cutoff) {
      v.free(pool);
      table.remove(v);
      states[id] = undefined;
    }
  }
}
