import { describe, expect, it } from 'vitest';
import { MIN_BLOCK, RowArena } from '../../../src/core/collections/row-arena.ts';

const CHUNK = 1 << 20;

describe('RowArena', () => {
  it('rounds blocks up to powers of two, at least MIN_BLOCK numbers', () => {
    expect(RowArena.blockSize(1)).toBe(MIN_BLOCK);
    expect(RowArena.blockSize(MIN_BLOCK)).toBe(MIN_BLOCK);
    expect(RowArena.blockSize(MIN_BLOCK + 1)).toBe(MIN_BLOCK * 2);
    expect(RowArena.blockSize(1000)).toBe(1024);
  });

  it('hands out blocks that never overlap, and keeps what is written in each', () => {
    const arena = new RowArena();
    const blocks: { addr: number; size: number; mark: number }[] = [];
    for (let i = 0; i < 3_000; i++) {
      const size = RowArena.blockSize(1 + ((i * 7919) % 900));
      const addr = arena.alloc(size);
      arena.chunk(addr).fill(i, RowArena.offset(addr), RowArena.offset(addr) + size);
      blocks.push({ addr, size, mark: i });
      // Give back every third block: later blocks of its size reuse it.
      if (i % 3 === 2) {
        const gone = blocks.splice((i * 31) % blocks.length, 1)[0]!;
        arena.release(gone.addr, gone.size);
      }
    }
    for (const b of blocks) {
      const chunk = arena.chunk(b.addr);
      const at = RowArena.offset(b.addr);
      expect(chunk.subarray(at, at + b.size).every((v) => v === b.mark)).toBe(true);
    }
    expect(arena.used).toBe(blocks.reduce((n, b) => n + b.size, 0));
  });

  it('reuses a released block of the same size before cutting a new one', () => {
    const arena = new RowArena();
    const a = arena.alloc(64);
    arena.alloc(64);
    arena.release(a, 64);
    expect(arena.alloc(40)).toBe(a);
  });

  it('passes the unused end of a chunk to the free lists instead of losing it', () => {
    const arena = new RowArena();
    arena.alloc(16); // chunk 0
    arena.alloc(CHUNK / 4);
    arena.alloc(CHUNK / 2 + 1); // a block of CHUNK does not fit: chunk 1, chunk 0's tail spilled
    const bytes = arena.bytes;
    expect(bytes).toBe(2 * CHUNK * 8);
    // Chunk 0's tail (from 16 + CHUNK/4 to CHUNK) serves these, without a third chunk.
    const half = arena.alloc(CHUNK / 2);
    const eighth = arena.alloc(CHUNK / 8);
    const tiny = arena.alloc(16);
    expect(arena.bytes).toBe(bytes);
    for (const addr of [half, eighth, tiny]) expect(Math.floor(addr / CHUNK)).toBe(0);
    expect(RowArena.offset(half)).toBe(CHUNK / 2);
  });

  it('gives a history longer than a chunk a chunk of its own, and frees it with it', () => {
    const arena = new RowArena();
    const big = arena.alloc(CHUNK * 2 + 1);
    expect(RowArena.offset(big)).toBe(0);
    expect(arena.chunk(big).length).toBe(CHUNK * 4);
    arena.chunk(big)[CHUNK * 4 - 1] = 7;
    const before = arena.bytes;
    arena.release(big, CHUNK * 4);
    expect(arena.bytes).toBe(before - CHUNK * 4 * 8);
    expect(arena.used).toBe(0);
  });
});
