import { describe, expect, it } from 'vitest';
import {
  aggregate,
  partitionByCustomer,
  relationSteps,
  transactionRows,
  WRITE_STEPS,
} from '../../../src/adapters/graph-neo4j/backend.ts';
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

  it('sends each statement positional rows that hold every position its Cypher reads', () => {
    const rows = [row('t1', 'c1', 'u1', 'd1', 100, 5), row('t2', 'c1', 'u1', 'd1', 200, 7)];
    // t2 carries a confirmed-fraud label from a stub, so the flag statement runs too.
    const steps = relationSteps(rows, new Set(['t1', 't2']), new Set(['t2']));
    const sent: [string, string, readonly (readonly unknown[])[]][] = [
      ['transactions', WRITE_STEPS.transactions, transactionRows(rows)],
      ...steps,
    ];
    expect(sent.map(([name]) => name)).toEqual([
      'transactions',
      'owns',
      'usedOn',
      'seenFrom',
      'transactedAt',
      'flag',
    ]);
    for (const [name, cypher, params] of sent) {
      // The row variable is whatever the statement UNWINDs $rows as.
      const v = /UNWIND \$rows AS (\w+)/.exec(cypher)?.[1] as string;
      const read = [...cypher.matchAll(new RegExp(`\\b${v}\\[(\\d+)\\]`, 'g'))].map((m) => Number(m[1]));
      expect(read.length, name).toBeGreaterThan(0);
      for (const r of params) {
        expect(r.length, name).toBe(Math.max(...read) + 1);
        expect(
          r.every((x) => x !== undefined && x !== null),
          name,
        ).toBe(true);
      }
    }
    // Counted relations carry their increment where the statement adds it.
    const usedOn = steps.find(([name]) => name === 'usedOn')?.[2];
    expect(usedOn).toEqual([['c1', 'd1', 100, 200, 2]]);
    const transactedAt = steps.find(([name]) => name === 'transactedAt')?.[2];
    expect(transactedAt).toEqual([['c1', 'm1', 200, 2, 12, 'grocery', 'BR']]);
    expect(transactionRows(rows)[0]).toEqual([
      't1',
      100,
      5,
      'BRL',
      'approved',
      'c1',
      'u1',
      'd1',
      '10.0.0.1',
      'm1',
    ]);
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
