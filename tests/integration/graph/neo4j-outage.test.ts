/**
 * Acceptance (issue #6): killing Neo4j mid-stream does not stop the graph service, which
 * buffers (leaves the batch uncommitted) and retries; after a restart the graph catches up
 * with no duplicates. This test kills a database, so it starts its OWN Neo4j (same launcher as
 * `bin/fraud infra up neo4j`, private port and directory) instead of the shared NEO4J_URI one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../src/adapters/bus-memory/index.ts';
import { createDriver, Neo4jGraph } from '../../../src/adapters/graph-neo4j/backend.ts';
import { Neo4jGraphSignals } from '../../../src/adapters/graph-neo4j/signals.ts';
import { TOPICS, type Transaction } from '../../../src/core/contracts/index.ts';
import { GraphService } from '../../../src/services/graph-service/index.ts';
import { createSimulator } from '../../../src/services/ingestor/index.ts';
import { type PrivateNeo4j, startPrivateNeo4j } from '../../support/neo4j.ts';
import { enriched } from '../../unit/graph/fixtures.ts';

async function until(what: string, check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Neo4j outage mid-stream', () => {
  let neo: PrivateNeo4j;
  let graph: Neo4jGraph;
  let uri: string;

  beforeAll(async () => {
    neo = await startPrivateNeo4j('outage');
    uri = neo.uri;
    graph = new Neo4jGraph({ uri, connectTimeoutMs: 1000 });
    await graph.migrate();
  }, 240_000);

  afterAll(async () => {
    await graph?.close();
    await neo?.remove();
  }, 120_000);

  it('keeps buffering while Neo4j is dead and catches up after a restart without duplicates', async () => {
    const sim = createSimulator({ seed: 7, customers: 400, count: 3000, fraudRate: 0.05 });
    const txs: Transaction[] = Array.from({ length: 3000 }, () => sim.next().transaction);
    const bus = new MemoryBus({ partitions: 3 });
    const service = new GraphService({
      bus,
      backend: graph,
      batchSize: 250,
      retryBaseMs: 100,
      retryMaxMs: 1000,
    });
    await service.start();
    const publish = (part: Transaction[]) =>
      bus.publish(
        TOPICS.enriched,
        part.map((t) => ({ key: t.card_id, value: JSON.stringify(enriched(t)) })),
      );

    // The decision-side cache, refreshed from this Neo4j every 500 ms.
    const signals = new Neo4jGraphSignals(createDriver({ uri, connectTimeoutMs: 1000 }), {
      refreshMs: 500,
      staleAfterMs: 120_000,
    }).start();
    await publish(txs.slice(0, 1500));
    await until('first writes', () => service.stats.written >= 500, 120_000);
    await until('a signal refresh', () => signals.refreshes > 0, 60_000);
    // kill -9 the JVM mid-stream.
    const pid = Number(readFileSync(join(neo.runDir, 'neo4j.pid'), 'utf8').trim());
    process.kill(pid, 'SIGKILL');
    await publish(txs.slice(1500));
    await until('write failures while Neo4j is down', () => service.stats.retries >= 2, 60_000);
    const writtenWhileDown = service.stats.written;
    expect(service.stats.pending).toBeGreaterThan(0);
    expect(service.stats.lastError).toMatch(/neo4j|connect|unavailable/i);
    // Decisions do not wait on the dead database: signals come from memory, refreshes fail aside.
    await until('a failed signal refresh', () => signals.failures > 0, 60_000);
    const started = performance.now();
    for (const t of txs.slice(0, 2000)) expect(signals.signalsFor(t)).toBeDefined();
    expect(performance.now() - started).toBeLessThan(2000);
    const refreshesBefore = signals.refreshes;

    await neo.restart(); // same data directory (crash recovery)
    await until(
      'catch-up',
      () => service.stats.created >= txs.length && service.stats.pending === 0,
      180_000,
    );
    expect(service.stats.written).toBeGreaterThanOrEqual(writtenWhileDown);
    await until('signal refresh after restart', () => signals.refreshes > refreshesBefore, 60_000);
    await signals.close();
    await service.stop();
    await bus.close();

    // Every transaction exactly once, and every counter counted once.
    const [n] = await graph.query(
      'MATCH (t:Transaction) RETURN count(t) AS n, count(DISTINCT t.transaction_id) AS d',
    );
    expect(n).toEqual({ n: txs.length, d: txs.length });
    const [sums] = await graph.query(
      'MATCH ()-[u:USED_ON]->() WITH sum(u.count) AS used MATCH ()-[x:TRANSACTED_AT]->() RETURN used, sum(x.count) AS at',
    );
    expect(sums).toEqual({ used: txs.length, at: txs.length });
    const cards = new Set(txs.map((t) => t.card_id)).size;
    expect((await graph.stats()).nodes['Card']).toBe(cards);
  }, 400_000);
});
