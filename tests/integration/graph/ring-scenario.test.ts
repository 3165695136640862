/**
 * Acceptance (issue #6): simulating the fraud-ring scenario into the graph service with Neo4j
 * configured makes the brief's query — run unchanged through neo4j-driver — return the ring's
 * devices with their cards, and `bin/fraud graph rings` lists the ring with its size.
 * The bus is the in-process one (this test is about Neo4j); ids carry a run prefix because
 * the Neo4j instance is shared.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import neo4j from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../src/adapters/bus-memory/index.ts';
import { Neo4jGraph } from '../../../src/adapters/graph-neo4j/backend.ts';
import { type Label, TOPICS, type Transaction } from '../../../src/core/contracts/index.ts';
import { GraphService } from '../../../src/services/graph-service/index.ts';
import { createSimulator } from '../../../src/services/ingestor/index.ts';
import { underRunPrefix } from '../../support/run-prefix.ts';
import { enriched } from '../../unit/graph/fixtures.ts';
import { neo4jUri, runPrefix } from './neo4j-env.ts';

const BRIEF_QUERY =
  'MATCH (c:Card)-[:USED_ON]->(d:Device) WITH d, collect(distinct c.card_id) AS cards WHERE size(cards) > 3 RETURN d.device_id, cards';

describe('fraud-ring scenario into Neo4j', () => {
  const uri = neo4jUri();
  const p = runPrefix('ring');
  const graph = new Neo4jGraph({ uri });
  const bus = new MemoryBus({ partitions: 3 });
  const txs: Transaction[] = [];
  const labels: Label[] = [];
  const ringTx = new Set<string>();

  beforeAll(async () => {
    // Only the ring scenario, at a high rate, in a small population.
    const sim = createSimulator({
      seed: 42,
      customers: 300,
      fraudRate: 0.1,
      scenarioMix: { fraud_ring: 1 },
      count: 2500,
    });
    for (let i = 0; i < 2500; i++) {
      const e = sim.next();
      const t = e.transaction;
      txs.push(underRunPrefix(t, p));
      if (e.scenario === 'fraud_ring') ringTx.add(p + t.transaction_id);
      if (e.label?.is_fraud) labels.push({ ...e.label, transaction_id: p + e.label.transaction_id });
    }
    expect(ringTx.size).toBeGreaterThan(10);
    await graph.migrate();
    const service = new GraphService({ bus, backend: graph, batchSize: 500 });
    await service.start();
    await bus.publish(
      TOPICS.enriched,
      txs.map((t) => ({ key: t.card_id, value: JSON.stringify(enriched(t)) })),
    );
    await bus.publish(
      TOPICS.labels,
      labels.map((l) => ({ key: l.transaction_id, value: JSON.stringify(l) })),
    );
    const end = Date.now() + 150_000;
    while (
      service.stats.written < txs.length ||
      service.stats.labels < labels.length ||
      service.stats.pending > 0
    ) {
      if (Date.now() > end) throw new Error(`graph service stuck: ${JSON.stringify(service.stats)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(service.stats.created).toBe(txs.length);
    await service.stop();
  }, 240_000);

  afterAll(async () => {
    await graph.close();
    await bus.close();
  });

  it("the brief's query returns the ring's devices with their cards", async () => {
    // Expected answer, computed independently from the simulated stream.
    const cardsByDevice = new Map<string, Set<string>>();
    for (const t of txs) {
      const s = cardsByDevice.get(t.device_id) ?? new Set();
      s.add(t.card_id);
      cardsByDevice.set(t.device_id, s);
    }
    const expected = [...cardsByDevice]
      .filter(([, s]) => s.size > 3)
      .map(([d, s]) => [d, [...s].sort()] as const);
    const ringDevices = new Set(txs.filter((t) => ringTx.has(t.transaction_id)).map((t) => t.device_id));
    // The ring's devices are in the answer (a few legitimate shared devices may be too).
    expect(expected.filter(([d]) => ringDevices.has(d)).length).toBeGreaterThan(0);

    const session = graph.driver.session({ defaultAccessMode: neo4j.session.READ });
    try {
      const res = await session.run(BRIEF_QUERY);
      const got = res.records
        .map((r) => [r.get('d.device_id') as string, (r.get('cards') as string[]).slice().sort()] as const)
        .filter(([d]) => d.startsWith(p))
        .sort((a, b) => (a[0] < b[0] ? -1 : 1));
      expect(got).toEqual(expected.sort((a, b) => (a[0] < b[0] ? -1 : 1)));
    } finally {
      await session.close();
    }
  });

  it('bin/fraud graph rings lists the ring with its size', async () => {
    const ringCards = new Set(txs.filter((t) => ringTx.has(t.transaction_id)).map((t) => t.card_id));
    const { stdout } = await promisify(execFile)(
      'bin/fraud',
      ['graph', 'rings', '--json', '--limit', '100000'],
      {
        env: { ...process.env, NEO4J_URI: uri },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const rings = (
      JSON.parse(stdout) as {
        ring_id: string;
        size: number;
        cards: number;
        members: string[];
        fraud_entities: number;
      }[]
    ).filter((r) => r.members.some((m) => m.includes(`:${p}`)));
    const withRingCards = rings.filter((r) =>
      r.members.some((m) => m.startsWith('Card:') && ringCards.has(m.slice(5))),
    );
    expect(withRingCards.length).toBeGreaterThan(0);
    const biggest = withRingCards.sort((a, b) => b.size - a.size)[0];
    expect(biggest?.size).toBe(biggest?.members.length);
    expect(biggest?.cards).toBeGreaterThanOrEqual(4);
    expect(biggest?.fraud_entities).toBeGreaterThan(0);
  });
});
