import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import {
  stateFloat64,
  stateInt32,
  stateUint8,
  stateUint16,
} from '../../../src/core/collections/state-arrays.ts';

const CHUNK = 8 << 20;
const CHUNKS = 24; // 192 MB: three times V8's 64 MB external-memory step

/** Allocates and touches `CHUNKS` chunks, yielding between them as a decision loop would, and
 *  returns the GCs V8 started for external memory meanwhile. */
async function externalMemoryGcs(allocate: (length: number) => Float64Array): Promise<number> {
  const seen: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => seen.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  const held: Float64Array[] = [];
  for (let i = 0; i < CHUNKS; i++) {
    const chunk = allocate(CHUNK / 8);
    chunk.fill(i);
    held.push(chunk);
    await new Promise((r) => setImmediate(r));
  }
  // GC entries are delivered asynchronously.
  await new Promise((r) => setTimeout(r, 50));
  observer.disconnect();
  expect(held.reduce((n, c) => n + c[c.length - 1]!, 0)).toBe((CHUNKS * (CHUNKS - 1)) / 2);
  return seen.filter(
    (e) =>
      ((e as unknown as { detail: { flags: number } }).detail.flags &
        constants.NODE_PERFORMANCE_GC_FLAGS_ALL_EXTERNAL_MEMORY) !==
      0,
  ).length;
}

describe('state arrays (long-lived decision state on SharedArrayBuffer)', () => {
  it('are zeroed typed arrays of the length asked for', () => {
    for (const [make, bytes] of [
      [stateFloat64, 8],
      [stateInt32, 4],
      [stateUint16, 2],
      [stateUint8, 1],
    ] as const) {
      const a = make(1000);
      expect(a.length).toBe(1000);
      expect(a.byteLength).toBe(1000 * bytes);
      expect(a.every((v) => v === 0)).toBe(true);
      a[999] = 7;
      expect(a[999]).toBe(7);
    }
  });

  it('still count in process.memoryUsage().arrayBuffers, so memory figures stay whole', () => {
    const before = process.memoryUsage().arrayBuffers;
    const a = stateFloat64(CHUNK / 8);
    a.fill(1);
    expect(process.memoryUsage().arrayBuffers - before).toBeGreaterThanOrEqual(CHUNK);
    expect(a[0]).toBe(1);
  });

  // The reason they exist. The control checks that V8 still behaves as the design assumes:
  // if plain buffers stop starting these GCs, the module's premise needs re-measuring.
  it("grow without starting V8's external-memory major GCs, which plain buffers do", async () => {
    expect(await externalMemoryGcs(stateFloat64)).toBe(0);
    expect(await externalMemoryGcs((n) => new Float64Array(n))).toBeGreaterThan(0);
  });
});
