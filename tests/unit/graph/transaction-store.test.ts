import { describe, expect, it } from 'vitest';
import { type GraphRow, IdentityGraph, type IdentityGraphOptions } from '../../../src/core/graph/index.ts';
import { TransactionStore } from '../../../src/core/graph/transaction-store.ts';
import { mulberry32 as prng } from '../../support/prng.ts';
import { IdentityGraph as OracleGraph } from './oracle-identity-graph.ts';

/*
 * The identity graph remembers transactions as columns (issue #2: no row object and no
 * per-transaction strings for the GC to mark). It must remember, forget and answer exactly
 * as the row map it replaced (the oracle): oldest forgotten first, a label before its
 * transaction keeping its place, replays of forgotten transactions counted again.
 */

const T0 = Date.parse('2025-03-01T00:00:00Z');

function row(n: number, over: Partial<GraphRow> = {}): GraphRow {
  return {
    transaction_id: `t${n}`,
    ts: T0 + n * 60_000,
    amount: 10 + n / 100,
    currency: n % 2 === 0 ? 'BRL' : 'USD',
    status: n % 3 === 0 ? 'approved' : 'pending',
    card_id: `c${n % 5}`,
    customer_id: `u${n % 4}`,
    device_id: `d${n % 3}`,
    ip_address: `10.0.0.${n % 7}`,
    // Category and country follow the merchant: the graph keeps them per merchant.
    merchant_id: `m${n % 2}`,
    merchant_category: `cat${n % 2}`,
    merchant_country: n % 2 === 0 ? 'BR' : 'PT',
    ...over,
  };
}

/** Remembered ids oldest first, with each one's row (null: label only) and fraud mark. */
function remembered(g: IdentityGraph) {
  return [...g.transactions.keys()].map((id) => {
    const slot = g.transactions.slotOf(id);
    return { id, row: g.transaction(id), fraud: g.transactions.isFraud(slot) };
  });
}
function rememberedByOracle(o: OracleGraph) {
  return [...o.txs].map(([id, rec]) => ({ id, row: rec.row, fraud: rec.fraud === true }));
}

describe('remembered transactions (columnar store)', () => {
  it('forget the oldest first at maxTransactions, and an evicted one has no case view', () => {
    const g = new IdentityGraph({ maxTransactions: 3 });
    expect(g.write([1, 2, 3, 4, 5].map((n) => row(n)))).toEqual({ rows: 5, created: 5 });
    expect([...g.transactions.keys()]).toEqual(['t3', 't4', 't5']);
    expect(g.stats().nodes.Transaction).toBe(3);
    expect(g.has({ label: 'Transaction', key: 't2' })).toBe(false);
    expect(g.has({ label: 'Transaction', key: 't3' })).toBe(true);
    expect(g.neighbourhood('t1', 1, 50)).toBeNull();
    expect(g.transaction('t1')).toBeUndefined();
    // The identity relations stay; only the transaction is forgotten.
    expect(g.has({ label: 'Card', key: 'c1' })).toBe(true);
    expect(g.transaction('t5')).toEqual(row(5));
    const view = g.neighbourhood('t5', 1, 50);
    expect(view?.nodes.find((n) => n.id === 'Transaction:t5')).toEqual({
      id: 'Transaction:t5',
      label: 'Transaction',
      key: 't5',
      fraud: false,
      properties: {
        amount: row(5).amount,
        currency: 'USD',
        status: 'pending',
        timestamp: new Date(T0 + 300_000).toISOString(),
      },
    });
    expect(view?.nodes.find((n) => n.label === 'Merchant')?.properties).toEqual({
      category: 'cat1',
      country: 'PT',
    });
  });

  it('keep a label that comes before its transaction, in the label’s place in the eviction order', () => {
    const g = new IdentityGraph({ maxTransactions: 3 });
    g.applyLabels([{ transaction_id: 't9', is_fraud: true }]);
    expect(g.transaction('t9')).toBeNull();
    expect(g.has({ label: 'Transaction', key: 't9' })).toBe(true);
    expect(g.neighbourhood('t9', 1, 50)).toBeNull();
    expect(g.fraud.size).toBe(0);
    g.write([row(10), row(11)]);
    // The transaction arrives: it is new (created), fills the label's slot and flags its entities.
    expect(g.write([row(9)])).toEqual({ rows: 1, created: 1 });
    expect(g.transaction('t9')).toEqual(row(9));
    expect([...g.fraud].sort()).toEqual(['Card:c4', 'Customer:u1', 'Device:d0', 'IP:10.0.0.2']);
    expect(g.neighbourhood('t9', 1, 50)?.nodes.find((n) => n.id === 'Transaction:t9')?.fraud).toBe(true);
    // A replay neither counts nor moves it; the next new transaction forgets t9 first.
    expect(g.write([row(9)])).toEqual({ rows: 1, created: 0 });
    expect([...g.transactions.keys()]).toEqual(['t9', 't10', 't11']);
    g.write([row(12)]);
    expect([...g.transactions.keys()]).toEqual(['t10', 't11', 't12']);
    expect(g.transaction('t9')).toBeUndefined();
  });

  it('count a replay of a forgotten transaction again, as a new one', () => {
    const g = new IdentityGraph({ maxTransactions: 2 });
    const o = new OracleGraph({ maxTransactions: 2 });
    const rows = [row(1), row(2), row(3), row(1)];
    for (const r of rows) expect(g.write([r])).toEqual(o.write([r]));
    expect(g.write([row(1)])).toEqual({ rows: 1, created: 0 });
    expect([...g.transactions.keys()]).toEqual(['t3', 't1']);
    expect(g.neighbourhood('t1', 2, 50)).toEqual(o.neighbourhood('t1', 2, 50));
    expect(g.neighbourhood('t2', 2, 50)).toBeNull();
    expect(g.stats()).toEqual(o.stats());
  });

  it('remember nothing with maxTransactions 0, yet count every write', () => {
    const g = new IdentityGraph({ maxTransactions: 0 });
    g.applyLabels([{ transaction_id: 't1', is_fraud: true }]);
    expect(g.write([row(1)])).toEqual({ rows: 1, created: 1 });
    expect(g.write([row(1)])).toEqual({ rows: 1, created: 1 });
    expect(g.stats().nodes.Transaction).toBe(0);
    expect(g.fraud.size).toBe(0);
    expect(g.neighbourhood('t1', 1, 10)).toBeNull();
  });

  // Random writes, replays, in-batch duplicates and labels (before and after their
  // transaction), under bounds below, across and above the store's first capacity (1024), so
  // the ring wraps after growing: same remembered ids in the same order, rows and marks.
  const bounds: [string, IdentityGraphOptions, number][] = [
    ['a small bound', { maxTransactions: 5 }, 400],
    ['a bound past the first growth', { maxTransactions: 1_500 }, 4_000],
    ['no bound', {}, 3_000],
  ];
  for (const [name, options, steps] of bounds) {
    it(`match the row map they replaced: ${name}`, () => {
      const rnd = prng(4242);
      const pick = (n: number) => Math.floor(rnd() * n);
      const g = new IdentityGraph(options);
      const o = new OracleGraph(options);
      let seq = 0;
      for (let step = 0; step < steps; step++) {
        if (rnd() < 0.75) {
          const batch = Array.from({ length: 1 + pick(4) }, () =>
            rnd() < 0.8 || seq === 0 ? row(++seq) : row(1 + pick(seq)),
          );
          if (rnd() < 0.1) batch.push(batch[0] as GraphRow);
          expect(g.write(batch)).toEqual(o.write(batch));
        } else {
          // Labels for known transactions and for ones not arrived yet.
          const labels = Array.from({ length: 1 + pick(3) }, () => ({
            transaction_id: `t${rnd() < 0.7 && seq > 0 ? 1 + pick(seq) : seq + 1 + pick(5)}`,
            is_fraud: rnd() < 0.5,
          }));
          g.applyLabels(labels);
          o.applyLabels(labels);
        }
        if (step % 50 === 0) {
          const id = `t${1 + pick(seq + 3)}`;
          expect(g.neighbourhood(id, 2, 40)).toEqual(o.neighbourhood(id, 2, 40));
        }
      }
      expect(remembered(g)).toEqual(rememberedByOracle(o));
      expect([...g.fraud].sort()).toEqual([...o.fraud].sort());
      expect(g.stats()).toEqual(o.stats());
    });
  }
});

describe('relation figures (count, first/last seen, amount in one Float64Array)', () => {
  it('match the oracle’s per-relation fields in case views, across the array’s growth', () => {
    // ~12,000 relations (the array starts with room for 1,024), each seen several times, out
    // of time order, so first/last/count/amount all move.
    const rnd = prng(77);
    const pick = (n: number) => Math.floor(rnd() * n);
    const g = new IdentityGraph();
    const o = new OracleGraph();
    const rows: GraphRow[] = [];
    for (let n = 1; n <= 9_000; n++) {
      const c = pick(1_500);
      rows.push(
        row(n, {
          ts: T0 + pick(1_000_000) * 1_000,
          amount: 1 + pick(100_000) / 100,
          card_id: `c${c}`,
          customer_id: `u${c % 1_200}`,
          device_id: `d${(c * 3 + pick(2)) % 2_000}`,
          ip_address: `10.1.${pick(8)}.${c % 250}`,
          merchant_id: `m${pick(40)}`,
          merchant_category: 'retail',
          merchant_country: 'BR',
        }),
      );
    }
    for (let i = 0; i < rows.length; i += 300) {
      const batch = rows.slice(i, i + 300);
      expect(g.write(batch)).toEqual(o.write(batch));
    }
    const s = g.stats();
    expect(Object.values(s.relationships).reduce((a, b) => a + b, 0)).toBeGreaterThan(4_096);
    expect(s).toEqual(o.stats());
    for (let i = 0; i < 60; i++) {
      const id = `t${1 + pick(rows.length)}`;
      expect(g.neighbourhood(id, 2, 80)).toEqual(o.neighbourhood(id, 2, 80));
    }
    for (let i = 0; i < 200; i++) {
      const r = rows[pick(rows.length)] as GraphRow;
      const t = { ...r, timestamp: new Date(r.ts + pick(48) * 3_600_000).toISOString() };
      expect(g.signalsFor(t)).toEqual(o.signalsFor(t));
    }
  });
});

describe('TransactionStore', () => {
  it('keeps free-text values past its interned table exactly, and drops them with their slot', () => {
    const store = new TransactionStore(10);
    // 5,000 distinct statuses: past the 4,096 interned ones, the rest go to the overflow map.
    for (let i = 0; i < 5_000; i++) {
      const slot = store.remember(`t${i}`);
      store.fill(slot, 0, 0, 0, 0, 0, i, i, 'BRL', `status-${i}`);
    }
    expect(store.size).toBe(10);
    for (let i = 4_990; i < 5_000; i++) {
      const slot = store.slotOf(`t${i}`);
      expect([store.status(slot), store.currency(slot), store.ts(slot)]).toEqual([`status-${i}`, 'BRL', i]);
    }
    // Only the ten remembered slots hold overflow values.
    expect((store as unknown as { statuses: { overflow: Map<number, string> } }).statuses.overflow.size).toBe(
      10,
    );
  });
});

describe('the columns, across chunk boundaries', () => {
  it('keep every field of every slot across several chunks, and the ring wraps at a bound that is not a chunk multiple', () => {
    const max = 40_000; // two full chunks of 16,384 and part of a third
    const store = new TransactionStore(max);
    const total = 100_000;
    for (let n = 0; n < total; n++) {
      const slot = store.remember(`t${n}`);
      store.fill(
        slot,
        n,
        n + 1,
        n + 2,
        n + 3,
        n + 4,
        T0 + n,
        n / 4,
        n % 2 === 0 ? 'BRL' : 'USD',
        `s${n % 3}`,
      );
      if (n % 7 === 0) store.markFraud(slot);
    }
    expect(store.size).toBe(max);
    expect(store.has(`t${total - max - 1}`)).toBe(false);
    for (let n = total - max; n < total; n++) {
      const slot = store.slotOf(`t${n}`);
      expect(slot).toBeGreaterThanOrEqual(0);
      expect(slot).toBeLessThan(max);
      expect(store.hasRow(slot)).toBe(true);
      expect([
        store.card(slot),
        store.customer(slot),
        store.device(slot),
        store.ip(slot),
        store.merchant(slot),
      ]).toEqual([n, n + 1, n + 2, n + 3, n + 4]);
      expect(store.ts(slot)).toBe(T0 + n);
      expect(store.amount(slot)).toBe(n / 4);
      expect(store.currency(slot)).toBe(n % 2 === 0 ? 'BRL' : 'USD');
      expect(store.status(slot)).toBe(`s${n % 3}`);
      expect(store.isFraud(slot)).toBe(n % 7 === 0);
    }
  });
});
