/**
 * The shared backend contract (issue #6, "Embedded default"): the same data and the same
 * assertions against the in-process graph (unit lane) and real Neo4j (integration lane).
 * Expected values are worked out by hand in fixtures.ts; views are also compared field by
 * field with an in-process reference built from the same data.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryGraph } from '../../../src/adapters/graph-memory/index.ts';
import type { Transaction } from '../../../src/core/contracts/index.ts';
import { GRAPH_SIGNAL_NAMES, type GraphBackend, ringScore } from '../../../src/core/graph/index.ts';
import type { GraphSignals } from '../../../src/ports/graph-signals.ts';
import { ringFixture } from './fixtures.ts';

export interface ContractSubject {
  backend: GraphBackend;
  /** A signal source that learnt the graph only from the backend (for Neo4j: a refresh). */
  signals(): Promise<{ signalsFor(t: Transaction): GraphSignals | undefined; close(): Promise<void> }>;
}

export function describeGraphContract(
  name: string,
  prefix: string,
  setup: () => Promise<ContractSubject>,
): void {
  describe(`graph backend contract: ${name}`, () => {
    const fx = ringFixture(prefix);
    const p = prefix;
    let subject: ContractSubject;
    let g: GraphBackend;
    const reference = new MemoryGraph();
    const mine = (id: string) => id.startsWith(p) || id.includes(`:${p}`);

    beforeAll(async () => {
      subject = await setup();
      g = subject.backend;
      await g.migrate();
      // Two batches, the second replaying half of the first: nothing may be counted twice.
      const first = await g.write(fx.txs.slice(0, 10));
      expect(first).toEqual({ rows: 10, created: 10 });
      const second = await g.write([...fx.txs.slice(5), ...fx.txs.slice(5, 8)]);
      expect(second).toEqual({ rows: fx.txs.length - 5, created: fx.txs.length - 10 });
      await g.applyLabels(fx.labels);
      await reference.write(fx.txs);
      await reference.applyLabels(fx.labels);
    });

    it("answers the brief's shared-device query with the ring's device and its cards", async () => {
      const rows = (await g.sharedDevices({ limit: 100_000 })).filter((r) => mine(r.device_id));
      expect(rows).toEqual([{ device_id: `${p}d1`, cards: [`${p}c1`, `${p}c2`, `${p}c3`, `${p}c4`] }]);
      const loose = (await g.sharedDevices({ moreThan: 1, limit: 100_000 }))
        .filter((r) => mine(r.device_id))
        .map((r) => r.device_id);
      expect(loose).toEqual([`${p}d1`, `${p}d2`, `${p}fd1`]);
    });

    it('finds the ring as one connected component with size, fraud density and score', async () => {
      const rings = (await g.rings({ limit: 100_000 })).filter((r) => r.members.some(mine));
      expect(rings).toHaveLength(1);
      const ring = rings[0];
      expect(ring).toMatchObject({
        ring_id: `ring:${p}c1`,
        size: 10,
        cards: 4,
        devices: 1,
        customers: 4,
        ips: 1,
        fraud_entities: 4,
        fraud_density: 0.4,
        score: ringScore(4, 4, 4),
      });
      expect(ring?.members).toContain(`Device:${p}d1`);
      expect(ring?.members).toContain(`IP:${fx.ip(1)}`);
      // d2 is shared by only two customers (u4, u5): a weak link (RingOptions.minShared), so c5
      // stays out; with plain connected components (minShared 1) it joins.
      expect(ring?.members).not.toContain(`Card:${p}c5`);
      expect(ring?.members).not.toContain(`Card:${p}f1a`);
      const plain = (await g.rings({ minShared: 1, limit: 100_000 })).filter((r) => r.members.some(mine));
      expect(plain.map((r) => [r.ring_id, r.size, r.cards])).toEqual([[`ring:${p}c1`, 14, 5]]);
      // The family (2 cards) becomes a ring only when the threshold is lowered to 2.
      const low = (await g.rings({ minCards: 2, limit: 100_000 })).filter((r) => r.members.some(mine));
      expect(low.map((r) => r.ring_id).sort()).toEqual([`ring:${p}c1`, `ring:${p}f1a`]);
    });

    it('finds the bounded shortest path between two cards, and none beyond the bound', async () => {
      const a = { label: 'Card' as const, key: `${p}c1` };
      const b = { label: 'Card' as const, key: `${p}c5` };
      expect(await g.path(a, b)).toEqual({
        nodes: [`Card:${p}c1`, `Device:${p}d1`, `Card:${p}c4`, `Device:${p}d2`, `Card:${p}c5`],
        rels: ['USED_ON', 'USED_ON', 'USED_ON', 'USED_ON'],
        length: 4,
      });
      expect(await g.path(a, b, { maxDepth: 3 })).toBeNull();
      expect(await g.path(a, { label: 'Card', key: `${p}n1` })).toBeNull();
      const viaCustomer = await g.path(
        { label: 'Customer', key: `${p}u1` },
        { label: 'Customer', key: `${p}u2` },
      );
      expect(viaCustomer?.nodes).toEqual([
        `Customer:${p}u1`,
        `Card:${p}c1`,
        `Device:${p}d1`,
        `Card:${p}c2`,
        `Customer:${p}u2`,
      ]);
    });

    it('resolves bare and labelled ids', async () => {
      expect(await g.resolve({ label: null, key: `${p}c1` })).toEqual({ label: 'Card', key: `${p}c1` });
      expect(await g.resolve({ label: null, key: `${p}u1` })).toEqual({ label: 'Customer', key: `${p}u1` });
      expect(await g.resolve({ label: 'Device', key: `${p}c1` })).toBeNull();
      expect(await g.resolve({ label: null, key: `${p}nothing` })).toBeNull();
    });

    it("returns a transaction's neighbourhood as drawable nodes and edges, identical across backends", async () => {
      const view = await g.neighbourhood(fx.fraudTx.transaction_id);
      expect(view).not.toBeNull();
      expect(view?.nodes.map((n) => n.id)).toEqual([
        `Card:${p}c1`,
        `Card:${p}c2`,
        `Card:${p}c3`,
        `Card:${p}c4`,
        `Customer:${p}u2`,
        `Device:${p}d1`,
        `IP:${fx.ip(1)}`,
        `Merchant:${p}m2`,
        `Transaction:${fx.fraudTx.transaction_id}`,
      ]);
      expect(view?.edges).toHaveLength(12);
      expect(
        view?.nodes
          .filter((n) => n.fraud)
          .map((n) => n.id)
          .sort(),
      ).toEqual(
        [
          `Card:${p}c2`,
          `Customer:${p}u2`,
          `Device:${p}d1`,
          `IP:${fx.ip(1)}`,
          `Transaction:${fx.fraudTx.transaction_id}`,
        ].sort(),
      );
      // Replayed rows did not double any counter: c1 used d1 twice, everything else once.
      const usedOn = view?.edges.find((e) => e.id === `Card:${p}c1|USED_ON|Device:${p}d1`);
      expect(usedOn?.properties).toEqual({
        count: 2,
        first_seen: new Date(Date.parse(fx.txs[1]?.timestamp ?? '')).toISOString(),
        last_seen: new Date(Date.parse(fx.txs[6]?.timestamp ?? '')).toISOString(),
      });
      expect(view).toEqual(await reference.neighbourhood(fx.fraudTx.transaction_id));
      const truncated = await g.neighbourhood(fx.fraudTx.transaction_id, { limit: 5 });
      expect(truncated?.truncated).toBe(true);
      expect(truncated).toEqual(await reference.neighbourhood(fx.fraudTx.transaction_id, { limit: 5 }));
      expect(await g.neighbourhood(`${p}unknown`)).toBeNull();
    });

    it('analyzes rings and feeds cluster sizes and ring scores back as signals', async () => {
      const result = await g.analyze();
      expect(result.rings.filter((r) => r.members.some(mine)).map((r) => r.ring_id)).toEqual([`ring:${p}c1`]);
      await reference.analyze();
      const source = await subject.signals();
      try {
        const probe = source.signalsFor(fx.probe);
        expect(probe).toEqual({
          device_cards_24h: 4,
          device_cards_total: 5,
          device_customers: 5,
          card_cluster_size: 5,
          fraud_within_2_hops: 3,
          ring_score: 0,
        });
        const c5 = {
          ...fx.probe,
          card_id: `${p}c5`,
          customer_id: `${p}u5`,
          device_id: `${p}d2`,
          ip_address: fx.ip(2),
        };
        expect(source.signalsFor(c5)).toEqual({
          device_cards_24h: 2,
          device_cards_total: 2,
          device_customers: 2,
          card_cluster_size: 1,
          fraud_within_2_hops: 0,
          ring_score: 0,
        });
        const c1 = { ...fx.probe, card_id: `${p}c1`, customer_id: `${p}u1` };
        expect(source.signalsFor(c1)).toMatchObject({ card_cluster_size: 4, ring_score: ringScore(4, 4, 4) });
        expect(Object.keys(probe ?? {})).toEqual([...GRAPH_SIGNAL_NAMES]);
        expect(source.signalsFor(fx.probe)).toEqual(reference.signalsFor(fx.probe));
      } finally {
        await source.close();
      }
    });
  });
}
