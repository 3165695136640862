import { describe, expect, it } from 'vitest';
import { MemoryGraph } from '../../../src/adapters/graph-memory/index.ts';
import type { Transaction } from '../../../src/core/contracts/index.ts';
import { neighbourhoodFromGraph } from '../../../src/services/console/graph.ts';

const tx = (id: string, card: string, device: string): Transaction => ({
  transaction_id: id,
  timestamp: '2025-01-29T12:00:00Z',
  amount: 10,
  currency: 'BRL',
  card_id: card,
  merchant_id: 'm_987',
  merchant_category: 'retail',
  customer_id: `cust_${card}`,
  merchant_country: 'BR',
  card_present: false,
  device_id: device,
  ip_address: '200.160.0.1',
  status: 'pending',
});

describe('case neighbourhood from the graph service', () => {
  it('draws identity nodes around the case card, without transaction nodes', async () => {
    const g = new MemoryGraph();
    await g.write([tx('t1', 'card_a', 'dev_shared'), tx('t2', 'card_b', 'dev_shared')]);
    const view = await neighbourhoodFromGraph(g)({ card_id: 'card_a', transaction_id: 't1' });
    expect(view).not.toBeNull();
    expect(view!.nodes.find((n) => n.center)).toMatchObject({ id: 'card:card_a', kind: 'card' });
    expect(view!.nodes.map((n) => n.kind)).not.toContain('transaction');
    expect(view!.nodes.map((n) => n.id)).toEqual(
      expect.arrayContaining(['device:dev_shared', 'card:card_b']),
    );
    expect(view!.edges.every((e) => e.kind !== 'involves')).toBe(true);
    await g.close();
  });

  it('answers null for a transaction the graph has not seen (the store view is used then)', async () => {
    const g = new MemoryGraph();
    expect(await neighbourhoodFromGraph(g)({ card_id: 'card_x', transaction_id: 'nope' })).toBeNull();
    expect(await neighbourhoodFromGraph(g)({ card_id: 'card_x', transaction_id: null })).toBeNull();
    await g.close();
  });
});
