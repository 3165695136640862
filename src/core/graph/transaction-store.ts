import { IdQueue } from '../collections/id-queue.ts';
import { stateFloat64, stateInt32, stateUint8, stateUint16 } from '../collections/state-arrays.ts';

/**
 * The transactions the in-process identity graph remembers (idempotency, labels, the case
 * view), as columns instead of one row object per transaction (issue #2).
 *
 * A row object held ~14 long-lived heap objects per transaction (the row, its eleven strings
 * from JSON.parse, boxed ts and amount); with a million remembered transactions every major GC
 * had to mark them all, and those marking phases were the Kafka p99 stalls. Here a transaction
 * costs its id in an `IdQueue` (off the GC heap) and one slot in typed-array columns:
 * its card, customer, device, IP and merchant are indexes into the graph's node tables (the
 * node objects it holds anyway), event time and amount are doubles, currency and status are
 * codes into small interned tables. Typed arrays live outside the V8 heap, so the marker does
 * not visit them at all.
 *
 * Slots form a ring in remembering order: once `max` are held, remembering one more reuses the
 * oldest slot, so the oldest transaction is forgotten first (the order a `Map`'s insertion
 * order gave before). A slot remembered for a label whose transaction has not arrived yet holds
 * no row (`hasRow` false) until `fill` gives it one, keeping its place in that order.
 */

const HAS_ROW = 1;
const FRAUD = 2;
/** Code of a value kept in the overflow map once the interned table is full. */
const OVERFLOW = 0xffff;
/** Distinct values interned per column; more (a stream abusing free text) go to the overflow map. */
const MAX_INTERNED = 4096;
/**
 * Slots per chunk of every column. Columns grow a chunk at a time and never copy: doubling a
 * typed array left the old one (21 MB at 262,144 transactions) for a major GC, and V8 starts
 * one whenever external memory jumps like that (docs/benchmarks.md, Pipeline).
 */
const CHUNK_BITS = 14;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;

/**
 * A low-cardinality string per slot (currency, status): a 16-bit code into a table of distinct
 * values. The table is bounded: values past `MAX_INTERNED` distinct ones are kept per slot in a
 * map and dropped with their slot, so odd input cannot make the table grow without end.
 */
class StringColumn {
  private readonly codes: Uint16Array[] = [];
  private readonly index = new Map<string, number>();
  private readonly values: string[] = [];
  private readonly overflow = new Map<number, string>();
  // The previous value and its code: a stream mostly repeats one currency and one status.
  private last: string | undefined;
  private lastCode = 0;

  /** One more chunk of slots. */
  grow(): void {
    this.codes.push(stateUint16(CHUNK));
  }

  private code(slot: number): number {
    return this.codes[slot >>> CHUNK_BITS]![slot & CHUNK_MASK]!;
  }

  private setCode(slot: number, code: number): void {
    this.codes[slot >>> CHUNK_BITS]![slot & CHUNK_MASK] = code;
  }

  set(slot: number, value: string): void {
    if (this.code(slot) === OVERFLOW) this.overflow.delete(slot);
    if (value === this.last) {
      this.setCode(slot, this.lastCode);
      return;
    }
    let code = this.index.get(value);
    if (code === undefined) {
      if (this.values.length >= MAX_INTERNED) {
        this.setCode(slot, OVERFLOW);
        this.overflow.set(slot, value);
        return;
      }
      code = this.values.length;
      this.values.push(value);
      this.index.set(value, code);
    }
    this.last = value;
    this.lastCode = code;
    this.setCode(slot, code);
  }

  get(slot: number): string {
    const code = this.code(slot);
    return code === OVERFLOW ? (this.overflow.get(slot) as string) : (this.values[code] as string);
  }

  clear(slot: number): void {
    if (this.code(slot) === OVERFLOW) this.overflow.delete(slot);
    this.setCode(slot, 0);
  }
}

export class TransactionStore {
  /**
   * Remembered ids in remembering order. The n-th id ever remembered is in slot n until the
   * store is full, then in slot n mod max (see `slotOfSeq`).
   */
  private readonly ids = new IdQueue();
  // Node indexes (see IdentityNode.index); meaningful once the slot has its row. Each column is
  // a list of CHUNK-slot chunks: slot s is at [s >>> CHUNK_BITS][s & CHUNK_MASK].
  private readonly cards: Int32Array[] = [];
  private readonly customers: Int32Array[] = [];
  private readonly devices: Int32Array[] = [];
  private readonly ips: Int32Array[] = [];
  private readonly merchants: Int32Array[] = [];
  private readonly times: Float64Array[] = [];
  private readonly amounts: Float64Array[] = [];
  private readonly flags: Uint8Array[] = [];
  private readonly currencies = new StringColumn();
  private readonly statuses = new StringColumn();
  private capacity = 0;
  private readonly max: number;

  /** @param max Transactions held before the oldest is forgotten; `Infinity` for no bound. */
  constructor(max: number) {
    // `size > max` used to trigger forgetting, so a fractional bound holds its floor; NaN bounds nothing.
    this.max = Number.isNaN(max) ? Number.POSITIVE_INFINITY : Math.max(0, Math.floor(max));
  }

  get size(): number {
    return this.ids.size;
  }

  has(id: string): boolean {
    return this.ids.find(id) >= 0;
  }

  /** The transaction's slot, or -1 when it is not remembered. */
  slotOf(id: string): number {
    const seq = this.ids.find(id);
    return seq < 0 ? -1 : this.slotOfSeq(seq);
  }

  // Slots fill in order from 0 while the store grows (capacity only grows before it is full),
  // then each new id takes the oldest one's slot: the ring of `max` slots.
  private slotOfSeq(seq: number): number {
    return seq < this.max ? seq : seq % this.max;
  }

  /**
   * Remembers `id` (not yet remembered) in a slot without a row and returns the slot; when
   * the store holds `max` already, the oldest transaction is forgotten and its slot reused.
   * Returns -1 when the bound is 0 (nothing is remembered).
   */
  remember(id: string): number {
    if (this.max === 0) return -1;
    const n = this.ids.size;
    if (n < this.max) {
      if (n === this.capacity) this.grow();
    } else {
      this.ids.dropOldest();
    }
    const slot = this.slotOfSeq(this.ids.add(id));
    // Without HAS_ROW the other columns are never read: a reused slot's old numbers may stay.
    this.flags[slot >>> CHUNK_BITS]![slot & CHUNK_MASK] = 0;
    this.currencies.clear(slot);
    this.statuses.clear(slot);
    return slot;
  }

  /** Gives a slot its transaction: node indexes for the entities, then the row's own values. */
  fill(
    slot: number,
    card: number,
    customer: number,
    device: number,
    ip: number,
    merchant: number,
    ts: number,
    amount: number,
    currency: string,
    status: string,
  ): void {
    const c = slot >>> CHUNK_BITS;
    const i = slot & CHUNK_MASK;
    this.cards[c]![i] = card;
    this.customers[c]![i] = customer;
    this.devices[c]![i] = device;
    this.ips[c]![i] = ip;
    this.merchants[c]![i] = merchant;
    this.times[c]![i] = ts;
    this.amounts[c]![i] = amount;
    this.currencies.set(slot, currency);
    this.statuses.set(slot, status);
    this.flags[c]![i] = this.flags[c]![i]! | HAS_ROW;
  }

  /** Whether the slot's transaction has arrived (a label alone leaves it without a row). */
  hasRow(slot: number): boolean {
    return (this.flags[slot >>> CHUNK_BITS]![slot & CHUNK_MASK]! & HAS_ROW) !== 0;
  }

  /** Whether the slot's transaction is labelled fraud (a later "not fraud" label does not clear it). */
  isFraud(slot: number): boolean {
    return (this.flags[slot >>> CHUNK_BITS]![slot & CHUNK_MASK]! & FRAUD) !== 0;
  }

  markFraud(slot: number): void {
    this.flags[slot >>> CHUNK_BITS]![slot & CHUNK_MASK]! |= FRAUD;
  }

  card(slot: number): number {
    return this.cards[slot >>> CHUNK_BITS]![slot & CHUNK_MASK]!;
  }
  customer(slot: number): number {
    return this.customers[slot >>> CHUNK_BITS]![slot & CHUNK_MASK]!;
  }
  device(slot: number): number {
    return this.devices[slot >>> CHUNK_BITS]![slot & CHUNK_MASK]!;
  }
  ip(slot: number): number {
    return this.ips[slot >>> CHUNK_BITS]![slot & CHUNK_MASK]!;
  }
  merchant(slot: number): number {
    return this.merchants[slot >>> CHUNK_BITS]![slot & CHUNK_MASK]!;
  }
  /** Event time, epoch ms. */
  ts(slot: number): number {
    return this.times[slot >>> CHUNK_BITS]![slot & CHUNK_MASK]!;
  }
  amount(slot: number): number {
    return this.amounts[slot >>> CHUNK_BITS]![slot & CHUNK_MASK]!;
  }
  currency(slot: number): string {
    return this.currencies.get(slot);
  }
  status(slot: number): string {
    return this.statuses.get(slot);
  }

  /** Remembered ids, oldest first (the order they are forgotten in). */
  *keys(): Generator<string> {
    for (let seq = this.ids.head; seq < this.ids.tail; seq++) yield this.ids.idAt(seq);
  }

  // Only while not full, so nothing is forgotten yet and slots 0..n-1 keep their places.
  private grow(): void {
    this.cards.push(stateInt32(CHUNK));
    this.customers.push(stateInt32(CHUNK));
    this.devices.push(stateInt32(CHUNK));
    this.ips.push(stateInt32(CHUNK));
    this.merchants.push(stateInt32(CHUNK));
    this.times.push(stateFloat64(CHUNK));
    this.amounts.push(stateFloat64(CHUNK));
    this.flags.push(stateUint8(CHUNK));
    this.currencies.grow();
    this.statuses.grow();
    this.capacity = Math.min(this.max, this.capacity + CHUNK);
  }
}
