/**
 * Retention (`bin/fraud graph prune --older-than`): old Transaction nodes go, entities and
 * aggregated relationships stay. Pruning deletes across the whole database, so this test
 * starts its OWN Neo4j (same launcher as `bin/fraud infra up neo4j`, private port and
 * directory) instead of the shared NEO4J_URI one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Neo4jGraph } from '../../../src/adapters/graph-neo4j/backend.ts';
import { type PrivateNeo4j, startPrivateNeo4j } from '../../support/neo4j.ts';
import { ringFixture, T0 } from '../../unit/graph/fixtures.ts';

describe('Neo4j retention', () => {
  let neo: PrivateNeo4j;
  let graph: Neo4jGraph;

  beforeAll(async () => {
    neo = await startPrivateNeo4j('retention');
    graph = new Neo4jGraph({ uri: neo.uri });
    await graph.migrate();
  }, 240_000);

  afterAll(async () => {
    await graph?.close();
    await neo?.remove();
  }, 120_000);

  it('deletes Transaction nodes older than the window before the newest, keeping entities and counts', async () => {
    const { txs } = ringFixture('ret_');
    await graph.write(txs);
    const count = async (cypher: string) => ((await graph.query(cypher))[0]?.['n'] as number) ?? 0;
    const before = await graph.stats();
    const newest = Math.max(...txs.map((t) => Date.parse(t.timestamp)));
    const window = newest - (T0 - 6 * 3_600_000); // cut-off six hours before T0
    const old = txs.filter((t) => Date.parse(t.timestamp) < newest - window).length;
    expect(old).toBe(7); // c3 three days before T0, and n7..n12

    const dry = await graph.prune(window, { dryRun: true });
    expect(dry.deleted).toBe(old);
    expect(await count('MATCH (t:Transaction) RETURN count(t) AS n')).toBe(txs.length);

    const r = await graph.prune(window);
    expect(r).toEqual({
      newest: new Date(newest).toISOString(),
      cutoff: new Date(newest - window).toISOString(),
      deleted: old,
    });
    const after = await graph.stats();
    expect(after.nodes['Transaction']).toBe(txs.length - old);
    expect({ ...after.nodes, Transaction: 0 }).toEqual({ ...before.nodes, Transaction: 0 });
    expect(after.relationships).toEqual(before.relationships);
    expect(await count('MATCH ()-[r:TRANSACTED_AT]->() RETURN sum(r.count) AS n')).toBe(txs.length);
    // Idempotent: nothing left that old.
    expect((await graph.prune(window)).deleted).toBe(0);
  });
});
