/**
 * The label index: transaction_id → the four risk entities (merchant, category, device, IP) a
 * fraud label on that transaction is credited to. Labels arrive days after the transaction and
 * name only the transaction, so every scored transaction is indexed for the label horizon: at
 * thousands of transactions a second it is the engine's largest long-lived structure.
 *
 * It is stored as columns in a ring of slots, with one Map entry per transaction pointing at an
 * integer position, rather than as one object per transaction. That object, with its time and
 * four references, was three long-lived heap objects per transaction (the object and two boxed
 * doubles); every major GC had to mark them all, and at 5,000 tx/s they were a large share of
 * what survived each scavenge (docs/benchmarks.md, Pipeline).
 *
 * Order is arrival order, as a Map's: eviction drops the oldest first, and overwriting a known
 * transaction keeps its place.
 */
export class LabelIndex<E> {
  /** transaction_id → position: an absolute sequence number, so growing the ring moves no keys. */
  private readonly positions = new Map<string, number>();
  private ids: (string | undefined)[];
  private times: Float64Array;
  private labelledFlags: Uint8Array;
  /** Four entities per slot: merchant, category, device, IP. */
  private entities: (E | undefined)[];
  private capacity: number;
  /** Position of the oldest entry. */
  private head = 0;
  /** Position after the newest entry. */
  private tail = 0;

  constructor(initialCapacity = 1024) {
    let c = 16;
    while (c < initialCapacity) c *= 2;
    this.capacity = c;
    this.ids = new Array<string | undefined>(c);
    this.times = new Float64Array(c);
    this.labelledFlags = new Uint8Array(c);
    this.entities = new Array<E | undefined>(4 * c);
  }

  get size(): number {
    return this.tail - this.head;
  }

  /**
   * Indexes a transaction and returns its position. A transaction already indexed (a replay) is
   * overwritten in place and keeps its place in the eviction order and its labelled flag, as
   * `Map.set` on an existing key keeps its insertion order.
   */
  set(id: string, time: number, merchant: E, category: E, device: E, ip: E): number {
    let at = this.positions.get(id);
    if (at === undefined) {
      if (this.tail - this.head === this.capacity) this.grow();
      at = this.tail++;
      this.positions.set(id, at);
      const slot = at % this.capacity;
      this.ids[slot] = id;
      this.labelledFlags[slot] = 0;
    }
    const slot = at % this.capacity;
    this.times[slot] = time;
    const e = 4 * slot;
    this.entities[e] = merchant;
    this.entities[e + 1] = category;
    this.entities[e + 2] = device;
    this.entities[e + 3] = ip;
    return at;
  }

  /** The transaction's position, or -1 when it is not indexed. */
  find(id: string): number {
    return this.positions.get(id) ?? -1;
  }

  isLabelled(at: number): boolean {
    return this.labelledFlags[at % this.capacity] === 1;
  }

  markLabelled(at: number): void {
    this.labelledFlags[at % this.capacity] = 1;
  }

  /** The k-th entity of the transaction at `at`: 0 merchant, 1 category, 2 device, 3 IP. */
  entity(at: number, k: number): E {
    return this.entities[4 * (at % this.capacity) + k] as E;
  }

  /** Drops entries, oldest first, while their event time is ≤ cutoff; stops at the first newer one. */
  dropUntil(cutoff: number): void {
    while (this.head < this.tail && this.times[this.head % this.capacity]! <= cutoff) this.dropHead();
  }

  /** Drops the `n` oldest entries. */
  dropOldest(n: number): void {
    for (let i = 0; i < n && this.head < this.tail; i++) this.dropHead();
  }

  private dropHead(): void {
    const slot = this.head % this.capacity;
    this.positions.delete(this.ids[slot]!);
    this.ids[slot] = undefined;
    const e = 4 * slot;
    // Released so an evicted entity can be collected.
    this.entities[e] = this.entities[e + 1] = this.entities[e + 2] = this.entities[e + 3] = undefined;
    this.head++;
  }

  /** Doubles the ring. Positions are absolute, so each live entry moves to `position % capacity`. */
  private grow(): void {
    const c = this.capacity;
    const n = 2 * c;
    const ids = new Array<string | undefined>(n);
    const times = new Float64Array(n);
    const flags = new Uint8Array(n);
    const entities = new Array<E | undefined>(4 * n);
    for (let at = this.head; at < this.tail; at++) {
      const from = at % c;
      const to = at % n;
      ids[to] = this.ids[from];
      times[to] = this.times[from]!;
      flags[to] = this.labelledFlags[from]!;
      for (let k = 0; k < 4; k++) entities[4 * to + k] = this.entities[4 * from + k];
    }
    this.ids = ids;
    this.times = times;
    this.labelledFlags = flags;
    this.entities = entities;
    this.capacity = n;
  }
}
