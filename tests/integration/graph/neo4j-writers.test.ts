/**
 * Concurrent writers (`writers: 2`, the batch split by customer into two Neo4j transactions)
 * write the same graph as one writer, and a replay through them still creates nothing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Neo4jGraph } from '../../../src/adapters/graph-neo4j/backend.ts';
import type { Transaction } from '../../../src/core/contracts/index.ts';
import { createSimulator } from '../../../src/services/ingestor/index.ts';
import { underRunPrefix } from '../../support/run-prefix.ts';
import { neo4jUri, runPrefix } from './neo4j-env.ts';

function history(p: string, count: number): Transaction[] {
  const sim = createSimulator({ seed: 11, customers: 300, count, fraudRate: 0.05 });
  return Array.from({ length: count }, () => underRunPrefix(sim.next().transaction, p, { ips: true }));
}

const TOTALS = `
MATCH (c:Card)-[r:USED_ON|TRANSACTED_AT]->() WHERE c.card_id STARTS WITH $p
RETURN type(r) AS type, count(r) AS rels, sum(r.count) AS count, round(sum(coalesce(r.amount, 0.0)), 2) AS amount
ORDER BY type`;

describe('Neo4j concurrent writers', () => {
  const one = new Neo4jGraph({ uri: neo4jUri(), writers: 1 });
  const two = new Neo4jGraph({ uri: neo4jUri(), writers: 2 });
  afterAll(async () => {
    await one.close();
    await two.close();
  });

  it('write the same graph as one writer, and a replay creates nothing', async () => {
    await one.migrate();
    const a = runPrefix('w1');
    const b = runPrefix('w2');
    const txA = history(a, 1500);
    const txB = history(b, 1500);
    for (let i = 0; i < 1500; i += 500) {
      expect((await one.write(txA.slice(i, i + 500))).created).toBe(500);
      expect((await two.write(txB.slice(i, i + 500))).created).toBe(500);
    }
    expect((await two.write(txB)).created).toBe(0);
    const totalsA = await one.query(TOTALS, { p: a });
    const totalsB = await two.query(TOTALS, { p: b });
    expect(totalsB).toEqual(totalsA);
    expect(totalsA.find((r) => r['type'] === 'TRANSACTED_AT')?.['count']).toBe(1500);
  });
});
