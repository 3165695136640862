/**
 * Ids in arrival order, found by value, forgotten oldest first: the transaction ids the label
 * index and the identity graph remember for the label horizon, without one heap object per id.
 *
 * A JS string per remembered transaction (plus its Map entry) was the single largest kind of
 * object in the processor's heap: ~400,000 of them after a 60-s Kafka benchmark, all visited by
 * every major GC, whose marking stalled decisions for 0.2-0.3 s (docs/benchmarks.md,
 * Pipeline). Here an id is its UTF-16 code units in an arena of typed-array chunks, and the
 * look-up is open addressing over typed arrays: storage the GC never walks. The string a
 * caller passes in dies young with its batch.
 *
 * Each id gets the next sequence number (`tail`); `dropOldest` forgets the one at `head`.
 * Everything grows in fixed-size chunks, and the hash table is split in 16 parts that grow
 * (rehash) one at a time, so no single call moves every id.
 */

import { stateFloat64, stateInt32, stateUint16 } from './state-arrays.ts';

/** Sequence numbers per chunk of per-id columns. */
const SEQ_BITS = 13;
const SEQ_CHUNK = 1 << SEQ_BITS;
const SEQ_MASK = SEQ_CHUNK - 1;
/** Code units per arena chunk; an id never spans two. */
const ARENA_UNITS = 1 << 19;
/** Longest id kept (the contracts allow 128 characters). */
export const MAX_ID_LENGTH = 4096;
const PARTS = 16;
const FIRST_PART_CAPACITY = 256;

/** Per-id columns for SEQ_CHUNK consecutive sequence numbers. */
class SeqChunk {
  /** Absolute position of the id's first code unit (arena chunk number × ARENA_UNITS + offset). */
  readonly at = stateFloat64(SEQ_CHUNK);
  readonly length = stateUint16(SEQ_CHUNK);
  readonly hash = stateInt32(SEQ_CHUNK);
}

/** One part of the hash table: cells hold sequence number + 1 (0 = empty), linear probing. */
class Part {
  cells = stateFloat64(FIRST_PART_CAPACITY);
  count = 0;
}

export class IdQueue {
  private readonly chunks: SeqChunk[] = [];
  /** Sequence number of chunks[0]'s first entry (a multiple of SEQ_CHUNK). */
  private base = 0;
  private headSeq = 0;
  private tailSeq = 0;
  private readonly arena: Uint16Array[] = [];
  /** Chunk number of arena[0]. */
  private arenaBase = 0;
  /** Absolute position where the next id is written. */
  private writeAt = 0;
  private readonly parts: Part[] = Array.from({ length: PARTS }, () => new Part());
  // The last id `find` hashed: callers add an id right after finding it absent, so `add` reuses
  // its hash instead of hashing the id a second time per transaction.
  private lastId = '';
  private lastHash = hashOf('');

  /** Ids held. */
  get size(): number {
    return this.tailSeq - this.headSeq;
  }
  /** Sequence number of the oldest id held (= `tail` when empty). */
  get head(): number {
    return this.headSeq;
  }
  /** Sequence number the next id gets. */
  get tail(): number {
    return this.tailSeq;
  }

  /** The id's sequence number, or -1 when it is not held. */
  find(id: string): number {
    const h = hashOf(id);
    this.lastId = id;
    this.lastHash = h;
    const part = this.parts[h & (PARTS - 1)]!;
    const cells = part.cells;
    const mask = cells.length - 1;
    for (let i = (h >>> 4) & mask; ; i = (i + 1) & mask) {
      const v = cells[i]!;
      if (v === 0) return -1;
      const seq = v - 1;
      if (this.hashAt(seq) === h && this.equals(seq, id)) return seq;
    }
  }

  /** Appends an id that is not held (callers `find` first) and returns its sequence number. */
  add(id: string): number {
    const n = id.length;
    if (n > MAX_ID_LENGTH) throw new RangeError(`id longer than ${MAX_ID_LENGTH} characters`);
    const seq = this.tailSeq;
    if (seq - this.base === this.chunks.length * SEQ_CHUNK) this.chunks.push(new SeqChunk());
    // Room in the current arena chunk, or start the next one.
    let off = this.writeAt % ARENA_UNITS;
    let chunkNo = (this.writeAt - off) / ARENA_UNITS;
    if (off + n > ARENA_UNITS) {
      chunkNo++;
      off = 0;
    }
    if (this.arena.length === 0) this.arenaBase = chunkNo;
    while (chunkNo - this.arenaBase >= this.arena.length) this.arena.push(stateUint16(ARENA_UNITS));
    const units = this.arena[chunkNo - this.arenaBase]!;
    for (let i = 0; i < n; i++) units[off + i] = id.charCodeAt(i);
    const at = chunkNo * ARENA_UNITS + off;
    this.writeAt = at + n;
    const h = id === this.lastId ? this.lastHash : hashOf(id);
    const c = this.chunks[(seq - this.base) >> SEQ_BITS]!;
    const k = seq & SEQ_MASK;
    c.at[k] = at;
    c.length[k] = n;
    c.hash[k] = h;
    this.tailSeq = seq + 1;
    this.insert(seq, h);
    return seq;
  }

  /** Forgets the oldest id. */
  dropOldest(): void {
    if (this.headSeq === this.tailSeq) return;
    const seq = this.headSeq;
    this.remove(seq, this.hashAt(seq));
    this.headSeq = seq + 1;
    if (this.headSeq - this.base >= SEQ_CHUNK) {
      this.chunks.shift();
      this.base += SEQ_CHUNK;
    }
    // Arena chunks wholly before the oldest id still held go.
    const keepFrom = this.headSeq < this.tailSeq ? this.atOf(this.headSeq) : this.writeAt;
    const keepChunk = Math.floor(keepFrom / ARENA_UNITS);
    while (this.arena.length > 0 && this.arenaBase < keepChunk) {
      this.arena.shift();
      this.arenaBase++;
    }
  }

  /** The id with this sequence number (allocates a string: not for the hot path). */
  idAt(seq: number): string {
    if (seq < this.headSeq || seq >= this.tailSeq) throw new RangeError(`no id at ${seq}`);
    const at = this.atOf(seq);
    const off = at % ARENA_UNITS;
    const units = this.arena[(at - off) / ARENA_UNITS - this.arenaBase]!;
    return String.fromCharCode(...units.subarray(off, off + this.lengthOf(seq)));
  }

  private chunkOf(seq: number): SeqChunk {
    return this.chunks[(seq - this.base) >> SEQ_BITS]!;
  }
  private hashAt(seq: number): number {
    return this.chunkOf(seq).hash[seq & SEQ_MASK]!;
  }
  private atOf(seq: number): number {
    return this.chunkOf(seq).at[seq & SEQ_MASK]!;
  }
  private lengthOf(seq: number): number {
    return this.chunkOf(seq).length[seq & SEQ_MASK]!;
  }

  private equals(seq: number, id: string): boolean {
    const c = this.chunkOf(seq);
    const k = seq & SEQ_MASK;
    const n = c.length[k]!;
    if (n !== id.length) return false;
    const at = c.at[k]!;
    const off = at % ARENA_UNITS;
    const units = this.arena[(at - off) / ARENA_UNITS - this.arenaBase]!;
    for (let i = 0; i < n; i++) if (units[off + i] !== id.charCodeAt(i)) return false;
    return true;
  }

  private insert(seq: number, h: number): void {
    const part = this.parts[h & (PARTS - 1)]!;
    // At most half full: probes stay short.
    if ((part.count + 1) * 2 > part.cells.length) this.grow(part);
    place(part.cells, seq + 1, h);
    part.count++;
  }

  private grow(part: Part): void {
    const old = part.cells;
    part.cells = stateFloat64(old.length * 2);
    for (let i = 0; i < old.length; i++) {
      const v = old[i]!;
      if (v !== 0) place(part.cells, v, this.hashAt(v - 1));
    }
  }

  /** Deletes by backward shift, so no tombstones build up under a steady stream of drops. */
  private remove(seq: number, h: number): void {
    const part = this.parts[h & (PARTS - 1)]!;
    const cells = part.cells;
    const mask = cells.length - 1;
    let i = (h >>> 4) & mask;
    while (cells[i] !== seq + 1) {
      if (cells[i] === 0) return;
      i = (i + 1) & mask;
    }
    for (let j = (i + 1) & mask; cells[j] !== 0; j = (j + 1) & mask) {
      const home = (this.hashAt(cells[j]! - 1) >>> 4) & mask;
      // The entry at j may move back to i if its home is not in (i, j] (cyclically).
      const movable = i <= j ? home <= i || home > j : home <= i && home > j;
      if (movable) {
        cells[i] = cells[j]!;
        i = j;
      }
    }
    cells[i] = 0;
    part.count--;
  }
}

function place(cells: Float64Array, value: number, h: number): void {
  const mask = cells.length - 1;
  let i = (h >>> 4) & mask;
  while (cells[i] !== 0) i = (i + 1) & mask;
  cells[i] = value;
}

/** FNV-1a over the UTF-16 units, then a murmur3 finaliser so low and high bits both mix. */
function hashOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
