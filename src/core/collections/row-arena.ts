/**
 * Growable runs of numbers in blocks of typed-array chunks, with free lists by block size: the
 * row histories of cards and customers, kept where growing one leaves nothing for the GC.
 *
 * As JS arrays, a history grows by `push`, and each growth copies its rows into a new backing
 * store and leaves the old one in the old generation for the next major GC: with a few
 * thousand cards growing all the time, about a third of what the decision loop promoted
 * (docs/benchmarks.md, Pipeline), and the major GCs are what the Kafka tail is made of. Here a
 * history that outgrows its block moves to a block twice the size and gives the old one back
 * to its size's free list, to be reused by the next history that needs that size.
 *
 * Blocks are powers of two from MIN_BLOCK to CHUNK numbers and never span chunks; a history
 * longer than a chunk gets a chunk of its own, freed with it. A block is addressed by
 * chunk index × CHUNK + offset; the caller keeps the chunk itself to read the rows.
 */

import { stateFloat64 } from './state-arrays.ts';

const CHUNK_BITS = 20;
/** Numbers per chunk: 8 MiB. */
const CHUNK = 1 << CHUNK_BITS;
const MIN_BITS = 4;
/** The smallest block, in numbers (two card rows of eight). */
export const MIN_BLOCK = 1 << MIN_BITS;

const EMPTY = new Float64Array(0);

export class RowArena {
  private readonly chunks: Float64Array[] = [];
  /** Per size class (block = MIN_BLOCK << class), the addresses of free blocks. */
  private readonly free: number[][] = Array.from({ length: CHUNK_BITS - MIN_BITS + 1 }, () => []);
  /** Chunk indexes given back by oversized blocks, reused first. */
  private readonly freeChunks: number[] = [];
  /** The chunk blocks are cut from, and where its unused part starts. */
  private current = -1;
  private top = CHUNK;
  /** Numbers in blocks handed out and not given back. */
  private inUse = 0;

  /** The shared empty buffer of a history with no block. */
  static readonly EMPTY = EMPTY;

  /** Numbers held in blocks in use (a gauge of the histories' size, capacity included). */
  get used(): number {
    return this.inUse;
  }

  /** Bytes of typed arrays the arena holds, free space included. */
  get bytes(): number {
    let n = 0;
    for (const c of this.chunks) n += c.byteLength;
    return n;
  }

  /** The block size `alloc(n)` gives: the next power of two, at least MIN_BLOCK. */
  static blockSize(n: number): number {
    if (n <= MIN_BLOCK) return MIN_BLOCK;
    return 2 ** Math.ceil(Math.log2(n));
  }

  /** A block of at least `n` numbers: its address. Its contents are whatever it last held. */
  alloc(n: number): number {
    const size = RowArena.blockSize(n);
    this.inUse += size;
    if (size > CHUNK) return this.ownChunk(size);
    const cls = Math.log2(size) - MIN_BITS;
    const reused = this.free[cls]!.pop();
    if (reused !== undefined) return reused;
    if (this.top + size > CHUNK) {
      // The rest of the current chunk goes to the free lists, cut into the largest pieces that
      // stay aligned to their size, so no space is lost.
      this.spill();
      this.current = this.newChunk(CHUNK);
      this.top = 0;
    }
    const addr = this.current * CHUNK + this.top;
    this.top += size;
    return addr;
  }

  /** Gives a block of `size` numbers (as `blockSize` gave it) back. */
  release(addr: number, size: number): void {
    this.inUse -= size;
    if (size > CHUNK) {
      const index = addr >>> CHUNK_BITS;
      this.chunks[index] = EMPTY;
      this.freeChunks.push(index);
      return;
    }
    const cls = Math.log2(size) - MIN_BITS;
    this.free[cls]!.push(addr);
  }

  /** The chunk a block lives in. */
  chunk(addr: number): Float64Array {
    return this.chunks[addr >>> CHUNK_BITS]!;
  }

  /** Where a block starts in its chunk. */
  static offset(addr: number): number {
    return addr & (CHUNK - 1);
  }

  private ownChunk(size: number): number {
    return this.newChunk(size) * CHUNK;
  }

  private newChunk(size: number): number {
    const chunk = stateFloat64(size);
    const reuse = this.freeChunks.pop();
    if (reuse !== undefined) {
      this.chunks[reuse] = chunk;
      return reuse;
    }
    this.chunks.push(chunk);
    return this.chunks.length - 1;
  }

  private spill(): void {
    if (this.current < 0) return;
    let at = this.top;
    while (at < CHUNK) {
      // The largest power of two that fits from `at` and keeps `at` aligned to it.
      let size = at === 0 ? CHUNK : at & -at;
      while (at + size > CHUNK) size >>= 1;
      if (size < MIN_BLOCK) break;
      const cls = Math.log2(size) - MIN_BITS;
      this.free[cls]!.push(this.current * CHUNK + at);
      at += size;
    }
    this.top = CHUNK;
  }
}
