import { describe, expect, it } from 'vitest';
import { aggregate, partitionByCustomer } from '../../../src/adapters/graph-neo4j/backend.ts';
import type { GraphRow } from '../../../src/core/graph/index.ts';

const row = (
  id: string,
  card: string,
  customer: string,
  device: string,
  ts: number,
  amount = 10,
): GraphRow => ({
  transaction_id: id,
  ts,
  amount,
  currency: 'BRL',
  status: 'approved',
  card_id: card,
  customer_id: customer,
  device_id: device,
  ip_address: '10.0.0.1',
  merchant_id: 'm1',
  merchant_category: 'grocery',
  merchant_country: 'BR',
});

describe('Neo4j write path (pure parts)', () => {
  it('aggregates one row per relationship, counting only new transactions, sorted by the shared endpoint', () => {
    const rows = [
      row('t1', 'c2', 'u1', 'dB', 300, 5),
      row('t2', 'c1', 'u1', 'dA', 100, 7),
      row('t3', 'c2', 'u1', 'dB', 200, 11),
      row('t4', 'c2', 'u1', 'dB', 400, 13),
    ];
    // t4 is a replay: it moves first/last seen like any row but adds no count or amount.
    const used = aggregate(rows, new Set(['t1', 't2', 't3']), (r) => [r.card_id, r.device_id]);
    expect(used).toEqual([
      { a: 'c1', b: 'dA', first: 100, last: 100, inc: 1, amount: 7 },
      { a: 'c2', b: 'dB', first: 200, last: 400, inc: 2, amount: 16 },
    ]);
    expect(aggregate(rows, new Set(), (r) => [r.card_id, r.device_id]).map((e) => e.inc)).toEqual([0, 0]);
  });

  it('splits a batch by customer: every row kept, each customer in exactly one part', () => {
    const rows = Array.from({ length: 400 }, (_, i) =>
      row(`t${i}`, `c${i % 97}`, `u${i % 31}`, `d${i % 13}`, i),
    );
    const parts = partitionByCustomer(rows, 3);
    expect(parts.length).toBe(3);
    expect(
      parts
        .flat()
        .map((r) => r.transaction_id)
        .sort(),
    ).toEqual(rows.map((r) => r.transaction_id).sort());
    const partOf = new Map<string, number>();
    parts.forEach((p, i) => {
      for (const r of p) {
        expect(partOf.get(r.customer_id) ?? i).toBe(i);
        partOf.set(r.customer_id, i);
      }
    });
    expect(partitionByCustomer(rows, 1)).toEqual([rows]);
  });
});
