import { describe, expect, it } from 'vitest';
import { IdQueue, MAX_ID_LENGTH } from '../../../src/core/collections/id-queue.ts';
import { mulberry32 } from '../../support/prng.ts';

describe('IdQueue (ids in arrival order, found by value, forgotten oldest first, off the GC heap)', () => {
  it('finds exactly the ids a Map of the same history holds, over random adds, finds and drops', () => {
    const random = mulberry32(7);
    const queue = new IdQueue();
    const model = new Map<string, number>();
    const order: string[] = [];
    let next = 0;
    for (let i = 0; i < 200_000; i++) {
      const op = random();
      if (op < 0.45) {
        // Mixed lengths and characters, non-ASCII included: the queue stores UTF-16 units.
        const id = `tx_${Math.floor(random() * 60_000)}${random() < 0.05 ? 'é✓' : ''}`;
        if (model.has(id)) {
          expect(queue.find(id)).toBe(model.get(id));
          continue;
        }
        expect(queue.add(id)).toBe(next);
        model.set(id, next++);
        order.push(id);
      } else if (op < 0.7) {
        queue.dropOldest();
        const gone = order.shift();
        if (gone !== undefined) model.delete(gone);
      } else {
        const id = `tx_${Math.floor(random() * 60_000)}`;
        expect(queue.find(id)).toBe(model.get(id) ?? -1);
      }
      expect(queue.size).toBe(model.size);
    }
    // Every id still held reads back as written, oldest first from `head`.
    expect(queue.head).toBe(next - order.length);
    expect(queue.tail).toBe(next);
    for (let k = 0; k < order.length; k++) expect(queue.idAt(queue.head + k)).toBe(order[k]);
  });

  it('keeps ids across arena chunks and table growth, and forgets what it drops', () => {
    const queue = new IdQueue();
    const n = 300_000;
    for (let i = 0; i < n; i++) queue.add(`transaction-with-a-longer-id-${i}`);
    for (let i = 0; i < n; i += 997) expect(queue.find(`transaction-with-a-longer-id-${i}`)).toBe(i);
    for (let i = 0; i < n - 10; i++) queue.dropOldest();
    expect(queue.size).toBe(10);
    expect(queue.find('transaction-with-a-longer-id-0')).toBe(-1);
    expect(queue.find(`transaction-with-a-longer-id-${n - 1}`)).toBe(n - 1);
    expect(queue.idAt(n - 10)).toBe(`transaction-with-a-longer-id-${n - 10}`);
    // Ids added after the queue emptied get the next numbers and are found again.
    for (let i = 0; i < 10; i++) queue.dropOldest();
    queue.dropOldest();
    expect(queue.size).toBe(0);
    expect(queue.add('again')).toBe(n);
    expect(queue.find('again')).toBe(n);
    expect(queue.find('')).toBe(-1);
    expect(queue.add('')).toBe(n + 1);
    expect(queue.find('')).toBe(n + 1);
  });

  it('refuses an id longer than it can store, instead of truncating it', () => {
    const queue = new IdQueue();
    expect(() => queue.add('x'.repeat(MAX_ID_LENGTH + 1))).toThrow(RangeError);
    expect(queue.size).toBe(0);
  });
});
