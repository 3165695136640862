/**
 * The graph service on the real Kafka broker: stopping it while batches are in flight finishes
 * them, commits exactly what reached the graph and leaves the group; a restart in the same
 * group resumes from there, so nothing is lost and nothing is written twice. (The graph here is
 * the in-process one, slowed down so that batches are in flight when stop() is called: this
 * test is about the consumer's offsets, which only a real broker has.)
 */
import { randomUUID } from 'node:crypto';
import { Admin } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { KafkaBus } from '../../../src/adapters/bus-kafka/index.ts';
import { groupLag, pinGroupToEnd } from '../../../src/adapters/bus-kafka/offsets.ts';
import { MemoryGraph } from '../../../src/adapters/graph-memory/index.ts';
import { TOPICS, type Transaction } from '../../../src/core/contracts/index.ts';
import { topicSpecs } from '../../../src/platform/index.ts';
import { GraphService } from '../../../src/services/graph-service/index.ts';
import { createSimulator } from '../../../src/services/ingestor/index.ts';
import { requireKafka } from '../../support/kafka.ts';
import { underRunPrefix } from '../../support/run-prefix.ts';
import { enriched } from '../../unit/graph/fixtures.ts';

const brokers = requireKafka();

/** The in-process graph, 40 ms per batch: a stand-in for a database that takes its time. */
class SlowGraph extends MemoryGraph {
  override async write(transactions: readonly Transaction[]) {
    await new Promise((r) => setTimeout(r, 40));
    return super.write(transactions);
  }
}

async function until(what: string, check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Graph service on Kafka', () => {
  it('stops mid-backlog promptly, committing exactly what it wrote; a restart resumes with no loss and no replay', async () => {
    const bus = new KafkaBus({ brokers, clientId: 'graph-service-test' });
    const admin = new Admin({ clientId: 'graph-service-test-admin', bootstrapBrokers: brokers });
    const group = `test-graph-service-${randomUUID().slice(0, 8)}`;
    try {
      await bus.ensureTopics(topicSpecs(3));
      await pinGroupToEnd(brokers, group, [TOPICS.enriched, TOPICS.labels]);
      const prefix = `gs${randomUUID().slice(0, 6)}_`;
      const sim = createSimulator({ seed: 11, customers: 300, count: 3000, fraudRate: 0.02 });
      const txs = Array.from({ length: 3000 }, () => underRunPrefix(sim.next().transaction, prefix));
      await bus.publish(
        TOPICS.enriched,
        txs.map((t) => ({ key: t.card_id, value: JSON.stringify(enriched(t)) })),
      );

      const graph = new SlowGraph();
      const first = new GraphService({ bus, backend: graph, groupId: group, batchSize: 100 });
      await first.start();
      await until('some batches written', () => first.stats.written >= 500, 60_000);
      const stopping = performance.now();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        first.stop(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('stop() did not settle within 10 s')), 10_000);
        }),
      ]).finally(() => clearTimeout(timer));
      const stopMs = performance.now() - stopping;
      // Before the fix, a commit on the already-closed consumer never settled and stop() hung.
      expect(stopMs).toBeLessThan(5_000);
      expect(first.stats.written).toBeLessThan(txs.length);

      const lag = await groupLag(admin, group, [TOPICS.enriched]);
      const committedHere = lag.reduce((n, l) => n + Number(l.lag), 0);
      expect(txs.length - committedHere).toBe(first.stats.written);

      const second = new GraphService({ bus, backend: graph, groupId: group, batchSize: 100 });
      await second.start();
      await until('the rest written', () => second.stats.written >= committedHere, 60_000);
      await second.stop();
      expect(first.stats.written + second.stats.written).toBe(txs.length);
      expect(first.stats.created + second.stats.created).toBe(txs.length);
      expect((await graph.stats()).nodes['Transaction']).toBe(txs.length);
      const after = await groupLag(admin, group, [TOPICS.enriched]);
      expect(after.reduce((n, l) => n + l.lag, 0n)).toBe(0n);
    } finally {
      await admin.close();
      await bus.close();
    }
  });
});
