/**
 * Fixed-width rows of numbers in typed-array chunks, each addressed by a slot that is taken
 * and given back: the one row of the feature state of a device or IP seen once, kept off the
 * GC heap.
 *
 * Most IPs, and many devices, are seen once (the simulator, like mobile networks, gives 40 %
 * of transactions a fresh address). As a JS array, each such row is two heap objects (the
 * array and its elements) for every major GC to visit, and one of the larger things the
 * decision loop promotes (docs/benchmarks.md, Pipeline). Here it is three doubles in storage
 * the GC never walks. Chunks are never moved, so taking a slot never copies the pool.
 */

import { stateFloat64 } from './state-arrays.ts';

const SLOT_BITS = 14;
const SLOTS_PER_CHUNK = 1 << SLOT_BITS;
const SLOT_MASK = SLOTS_PER_CHUNK - 1;

export class RowPool {
  readonly width: number;
  private readonly chunks: Float64Array[] = [];
  /** Slots given back, taken again first (last in, first out). */
  private readonly free: number[] = [];
  /** Slots ever handed out; the next new slot. */
  private next = 0;

  constructor(width: number) {
    if (!Number.isInteger(width) || width < 1) throw new Error('RowPool width must be a positive integer');
    this.width = width;
  }

  /** Slots in use. */
  get size(): number {
    return this.next - this.free.length;
  }

  /** A slot for a new row (its values are whatever the slot last held: write them). */
  take(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const slot = this.next++;
    if (slot >>> SLOT_BITS === this.chunks.length)
      this.chunks.push(stateFloat64(SLOTS_PER_CHUNK * this.width));
    return slot;
  }

  /** Gives a slot back. The caller must not use it again. */
  give(slot: number): void {
    this.free.push(slot);
  }

  /** Value `i` (0 ≤ i < width) of the row at `slot`. */
  get(slot: number, i: number): number {
    return this.chunks[slot >>> SLOT_BITS]![(slot & SLOT_MASK) * this.width + i]!;
  }

  set(slot: number, i: number, value: number): void {
    this.chunks[slot >>> SLOT_BITS]![(slot & SLOT_MASK) * this.width + i] = value;
  }

  /** Copies the row at `slot` into out[0, width). */
  read(slot: number, out: number[]): void {
    const chunk = this.chunks[slot >>> SLOT_BITS]!;
    const at = (slot & SLOT_MASK) * this.width;
    for (let i = 0; i < this.width; i++) out[i] = chunk[at + i]!;
  }
}
