import { IdQueue } from '../collections/id-queue.ts';
import { stateFloat64, stateUint8 } from '../collections/state-arrays.ts';

/** Slots per chunk: the index grows and shrinks a chunk at a time. */
const CHUNK_BITS = 13;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;

/** One chunk of columns: the transaction's time, its labelled flag, four entity handles. */
class Chunk {
  readonly times = stateFloat64(CHUNK);
  readonly labelled = stateUint8(CHUNK);
  readonly entities = stateFloat64(4 * CHUNK);
}

/**
 * The label index: transaction_id → the four risk entities (merchant, category, device, IP) a
 * fraud label on that transaction is credited to. Labels arrive days after the transaction and
 * name only the transaction, so every scored transaction is indexed for the label horizon: at
 * thousands of transactions a second it is the engine's largest long-lived structure.
 *
 * It is stored as columns, with the id in an `IdQueue` (off the GC heap) giving its position,
 * rather than as one object per transaction. That object, with its time and four references, was three
 * long-lived heap objects per transaction (the object and two boxed doubles); every major GC
 * had to mark them all, and at 5,000 tx/s they were a large share of what survived each
 * scavenge. The columns come in fixed-size chunks, so growing never copies what is there: a
 * doubling ring copied 131,072 entries in one call, one of the pauses that made the Kafka p99
 * (docs/benchmarks.md, Pipeline).
 *
 * The entities are numbers, handles the caller resolves (the engine's `RiskTable`), not object
 * references: four references per transaction were ~1.7 million pointer slots after a 60-s Kafka
 * benchmark, each visited by every major GC; a handle in a typed array is not visited at all.
 *
 * Order is arrival order, as a Map's: eviction drops the oldest first, and overwriting a known
 * transaction keeps its place.
 */
export class LabelIndex {
  /** transaction_id → position: the id's sequence number in the queue. */
  private readonly ids = new IdQueue();
  private readonly chunks: Chunk[] = [];
  /** Position of chunks[0]'s first slot (a multiple of CHUNK). */
  private base = 0;

  get size(): number {
    return this.ids.size;
  }

  /**
   * Indexes a transaction and returns its position. A transaction already indexed (a replay) is
   * overwritten in place and keeps its place in the eviction order and its labelled flag, as
   * `Map.set` on an existing key keeps its insertion order.
   */
  set(id: string, time: number, merchant: number, category: number, device: number, ip: number): number {
    let at = this.ids.find(id);
    const isNew = at < 0;
    if (isNew) {
      at = this.ids.add(id);
      if ((at - this.base) >> CHUNK_BITS === this.chunks.length) this.chunks.push(new Chunk());
    }
    const c = this.chunkOf(at);
    if (isNew) c.labelled[at & MASK] = 0;
    const slot = at & MASK;
    c.times[slot] = time;
    const e = 4 * slot;
    c.entities[e] = merchant;
    c.entities[e + 1] = category;
    c.entities[e + 2] = device;
    c.entities[e + 3] = ip;
    return at;
  }

  /** The transaction's position, or -1 when it is not indexed. */
  find(id: string): number {
    return this.ids.find(id);
  }

  isLabelled(at: number): boolean {
    return this.chunkOf(at).labelled[at & MASK] === 1;
  }

  markLabelled(at: number): void {
    this.chunkOf(at).labelled[at & MASK] = 1;
  }

  /** The k-th entity handle of the transaction at `at`: 0 merchant, 1 category, 2 device, 3 IP. */
  entity(at: number, k: number): number {
    return this.chunkOf(at).entities[4 * (at & MASK) + k]!;
  }

  /** Drops entries, oldest first, while their event time is ≤ cutoff; stops at the first newer one. */
  dropUntil(cutoff: number): void {
    while (this.ids.size > 0 && this.chunkOf(this.ids.head).times[this.ids.head & MASK]! <= cutoff)
      this.dropHead();
  }

  /** Drops the `n` oldest entries. */
  dropOldest(n: number): void {
    for (let i = 0; i < n && this.ids.size > 0; i++) this.dropHead();
  }

  private chunkOf(at: number): Chunk {
    return this.chunks[(at - this.base) >> CHUNK_BITS]!;
  }

  private dropHead(): void {
    const head = this.ids.head;
    this.ids.dropOldest();
    // A chunk whose every slot has been dropped goes; the next one starts the list.
    if (head + 1 - this.base >= CHUNK) {
      this.chunks.shift();
      this.base += CHUNK;
    }
  }
}
