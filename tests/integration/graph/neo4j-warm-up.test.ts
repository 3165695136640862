/**
 * The graph service's start-up warm-up runs the real write path on synthetic batches and rolls
 * every one back: the database is left exactly as it was, and real entities are never touched.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Neo4jGraph, warmedUp } from '../../../src/adapters/graph-neo4j/backend.ts';
import { warmUpBatchesFor } from '../../../src/services/graph-service/warm-up.ts';
import { neo4jUri } from './neo4j-env.ts';

const COUNTS = `
CALL { MATCH (n) RETURN count(n) AS nodes }
CALL { MATCH ()-[r]->() RETURN count(r) AS rels }
RETURN nodes, rels`;

describe('Neo4j write-path warm-up', () => {
  const graph = new Neo4jGraph({ uri: neo4jUri() });
  afterAll(async () => {
    await graph.close();
  });

  it('runs the write path on its batches and leaves no node or relationship behind', async () => {
    await graph.migrate();
    const before = await graph.query(COUNTS);
    const batches = warmUpBatchesFor(4, 200);
    const took = await graph.warmUp(batches);
    // Every batch went through the whole write (all its transactions new to the graph)...
    expect(took.map((b) => b.created)).toEqual([200, 200, 200, 200]);
    expect(took.every((b) => b.ms > 0)).toBe(true);
    // ...and was rolled back.
    expect(await graph.query(COUNTS)).toEqual(before);
    const ids = batches.flat().map((t) => t.transaction_id);
    const found = await graph.query(
      'MATCH (t:Transaction) WHERE t.transaction_id IN $ids RETURN count(t) AS n',
      { ids },
    );
    expect(found).toEqual([{ n: 0 }]);
  });

  it('stops as soon as its stop rule says the write path is warm', async () => {
    const took = await graph.warmUp(warmUpBatchesFor(6, 50), { until: (t) => t.length >= 2 });
    expect(took).toHaveLength(2);
  });
});

describe('warm-up batches', () => {
  it('keep every id under a prefix of their own, so no real entity is locked', () => {
    const batches = warmUpBatchesFor(2, 100);
    expect(batches.map((b) => b.length)).toEqual([100, 100]);
    for (const t of batches.flat())
      for (const id of [t.transaction_id, t.card_id, t.customer_id, t.device_id, t.merchant_id, t.ip_address])
        expect(id.startsWith('__warmup_')).toBe(true);
  });

  it('stop once five batches are no more than 10 % faster than the five before', () => {
    const cold = [4143, 622, 553, 519, 442, 363, 339, 292, 289, 254];
    expect(warmedUp(cold.slice(0, 9))).toBe(false); // fewer than two windows
    expect(warmedUp(cold)).toBe(false); // median 553 → 292: still speeding up
    expect(warmedUp([...cold, 376, 254, 235, 250, 234])).toBe(false); // 292 → 250
    expect(warmedUp([...cold, 376, 254, 235, 250, 234, 236, 226, 213, 213, 205])).toBe(false); // 250 → 213
    expect(warmedUp([376, 254, 235, 250, 234, 236, 226, 240, 213, 250])).toBe(true); // 250 → 236
    expect(warmedUp([180, 175, 185, 178, 182, 179, 181, 176, 184, 180])).toBe(true); // warm from the start
  });
});
