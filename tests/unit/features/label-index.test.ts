import { describe, expect, it } from 'vitest';
import { LabelIndex } from '../../../src/core/features/label-index.ts';

/** Entity handles are numbers the caller resolves; here, positions in a list of names. */
const names: string[] = [];
const handles = new Map<string, number>();
const e = (name: string): number => {
  let handle = handles.get(name);
  if (handle === undefined) {
    handle = names.push(name) - 1;
    handles.set(name, handle);
  }
  return handle;
};
const nameOf = (handle: number): string => names[handle]!;

/** The index's content in eviction order, as [id, time, entity names, labelled]. */
function content(index: LabelIndex, ids: readonly string[]) {
  return ids
    .map((id) => [id, index.find(id)] as const)
    .filter(([, at]) => at >= 0)
    .sort((a, b) => a[1] - b[1])
    .map(([id, at]) => [
      id,
      [0, 1, 2, 3].map((k) => nameOf(index.entity(at, k))).join(','),
      index.isLabelled(at),
    ]);
}

describe('label index (transaction_id → the entities a fraud label is credited to)', () => {
  it('finds what it indexed, and nothing else', () => {
    const index = new LabelIndex();
    const at = index.set('tx_1', 1_000, e('m1'), e('food'), e('d1'), e('ip1'));
    expect(index.find('tx_1')).toBe(at);
    expect(index.find('tx_2')).toBe(-1);
    expect([0, 1, 2, 3].map((k) => nameOf(index.entity(at, k)))).toEqual(['m1', 'food', 'd1', 'ip1']);
    expect(index.isLabelled(at)).toBe(false);
    index.markLabelled(at);
    expect(index.isLabelled(at)).toBe(true);
    expect(index.size).toBe(1);
  });

  it('overwrites a replayed transaction in place: same position, label kept, no growth', () => {
    const index = new LabelIndex();
    const first = index.set('tx_1', 1_000, e('m1'), e('c'), e('d1'), e('ip1'));
    index.set('tx_2', 2_000, e('m2'), e('c'), e('d2'), e('ip2'));
    index.markLabelled(first);
    const again = index.set('tx_1', 1_500, e('m9'), e('c'), e('d9'), e('ip9'));
    expect(again).toBe(first);
    expect(index.size).toBe(2);
    expect(content(index, ['tx_1', 'tx_2'])).toEqual([
      ['tx_1', 'm9,c,d9,ip9', true],
      ['tx_2', 'm2,c,d2,ip2', false],
    ]);
  });

  it('evicts by time in arrival order, stopping at the first newer entry (a late event behind it stays)', () => {
    const index = new LabelIndex();
    index.set('a', 100, e('m'), e('c'), e('d'), e('i'));
    index.set('b', 300, e('m'), e('c'), e('d'), e('i'));
    index.set('late', 50, e('m'), e('c'), e('d'), e('i'));
    index.dropUntil(200);
    expect(index.find('a')).toBe(-1);
    expect(index.find('b')).toBeGreaterThanOrEqual(0);
    expect(index.find('late')).toBeGreaterThanOrEqual(0);
    expect(index.size).toBe(2);
    index.dropUntil(300);
    expect(index.size).toBe(0);
    expect(index.find('late')).toBe(-1);
  });

  it('drops the oldest n for the size cap', () => {
    const index = new LabelIndex();
    for (let i = 0; i < 10; i++) index.set(`tx_${i}`, i, e(`m${i}`), e('c'), e('d'), e('i'));
    index.dropOldest(4);
    expect(index.size).toBe(6);
    expect(index.find('tx_3')).toBe(-1);
    expect(index.find('tx_4')).toBeGreaterThanOrEqual(0);
    index.dropOldest(100);
    expect(index.size).toBe(0);
  });

  it('grows and shrinks a chunk at a time without losing or mixing up entries', () => {
    const index = new LabelIndex();
    const ids: string[] = [];
    let next = 0;
    let dropped = 0;
    // Add more than a chunk (8,192 slots) per round and drop a little less: the live range
    // crosses chunk boundaries, new chunks are added and fully dropped ones released.
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 9_000 + round * 700; i++) {
        const id = `tx_${next}`;
        ids.push(id);
        const at = index.set(id, next, e(`m${next}`), e(`c${next % 3}`), e(`d${next}`), e(`ip${next}`));
        if (next % 5 === 0) index.markLabelled(at);
        next++;
      }
      index.dropOldest(8_500);
      dropped += 8_500;
    }
    const live = ids.slice(dropped);
    expect(index.size).toBe(live.length);
    for (const id of ids.slice(0, dropped)) expect(index.find(id)).toBe(-1);
    expect(content(index, live)).toEqual(
      live.map((id) => {
        const n = Number(id.slice(3));
        return [id, `m${n},c${n % 3},d${n},ip${n}`, n % 5 === 0];
      }),
    );
    index.dropUntil(Number.POSITIVE_INFINITY);
    expect(index.size).toBe(0);
    // Still usable once emptied.
    const at = index.set('tx_again', 1, e('m'), e('c'), e('d'), e('ip'));
    expect(index.find('tx_again')).toBe(at);
  });
});
