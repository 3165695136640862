import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../src/adapters/bus-memory/index.ts';
import { MemoryGraph } from '../../../src/adapters/graph-memory/index.ts';
import { TOPICS, type Transaction } from '../../../src/core/contracts/index.ts';
import { FraudError } from '../../../src/core/errors/index.ts';
import { GraphService } from '../../../src/services/graph-service/index.ts';
import { enriched, ringFixture } from './fixtures.ts';

/** The in-process graph, failing its first `failures` writes like an unreachable Neo4j. */
class FlakyGraph extends MemoryGraph {
  calls = 0;
  failures: number;
  constructor(failures: number) {
    super();
    this.failures = failures;
  }
  override async write(txs: readonly Transaction[]) {
    this.calls++;
    if (this.calls <= this.failures)
      throw new FraudError('FRAUD_DEPENDENCY_UNAVAILABLE', 'neo4j: connection refused');
    return super.write(txs);
  }
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('graph service', () => {
  it('retries a failing graph with back-off, drops nothing, dead-letters bad records with their bytes', async () => {
    const bus = new MemoryBus({ partitions: 3 });
    const fx = ringFixture('svc_');
    const backend = new FlakyGraph(3);
    const service = new GraphService({ bus, backend, batchSize: 7, retryBaseMs: 2, retryMaxMs: 10 });
    await service.start();
    const bad = Buffer.from('{"transaction": "nope"');
    await bus.publish(TOPICS.enriched, [
      ...fx.txs.map((t) => ({ key: t.card_id, value: JSON.stringify(enriched(t)) })),
      { key: 'x', value: bad },
    ]);
    await bus.publish(TOPICS.labels, [
      ...fx.labels.map((l) => ({ key: l.transaction_id, value: JSON.stringify(l) })),
      { key: 'l', value: '{"transaction_id":"svc_tx1","is_fraud":"yes"}' },
    ]);
    await until(
      () =>
        service.stats.created === fx.txs.length &&
        service.stats.labels === 1 &&
        service.stats.rejected === 2 &&
        service.stats.pending === 0,
    );
    expect(service.stats.retries).toBe(3);
    expect(service.stats.rejected).toBe(2);
    expect(service.stats.lastError).toBeNull();
    expect(await backend.sharedDevices()).toEqual([
      { device_id: 'svc_d1', cards: ['svc_c1', 'svc_c2', 'svc_c3', 'svc_c4'] },
    ]);
    expect(backend.graph.fraud.has('Card:svc_c2')).toBe(true);
    const dlq = await bus.subscribe({ groupId: 'dlq-reader', topics: [TOPICS.dlq], from: 'earliest' });
    const dead = (await dlq.next()) ?? [];
    expect(dead).toHaveLength(1);
    expect(dead[0]?.value.equals(bad)).toBe(true);
    expect(dead[0]?.headers['x-error']).toMatch(/not JSON/);
    const labelsDlq = await bus.subscribe({
      groupId: 'dlq-reader',
      topics: [TOPICS.labelsDlq],
      from: 'earliest',
    });
    const badLabels = (await labelsDlq.next()) ?? [];
    expect(badLabels.map((r) => r.value.toString())).toEqual([
      '{"transaction_id":"svc_tx1","is_fraud":"yes"}',
    ]);
    await service.stop();
    await dlq.close();
    await labelsDlq.close();

    // A replay of the whole topic (new group) into the same graph creates nothing.
    const replay = new GraphService({ bus, backend, groupId: 'replay', batchSize: 100 });
    await replay.start();
    await until(() => replay.stats.written === fx.txs.length);
    expect(replay.stats.created).toBe(0);
    await replay.stop();
    await bus.close();
  });

  it('commits nothing while the graph is down, so a restart re-reads every record', async () => {
    const bus = new MemoryBus({ partitions: 2 });
    const fx = ringFixture('down_');
    const backend = new FlakyGraph(Number.POSITIVE_INFINITY);
    const service = new GraphService({
      bus,
      backend,
      groupId: 'g',
      batchSize: 1000,
      retryBaseMs: 1,
      retryMaxMs: 5,
    });
    await service.start();
    await bus.publish(
      TOPICS.enriched,
      fx.txs.map((t) => ({ key: t.card_id, value: JSON.stringify(enriched(t)) })),
    );
    await until(() => service.stats.retries >= 3);
    expect(service.stats.pending).toBeGreaterThan(0);
    await service.stop();
    expect(service.stats.created).toBe(0);

    const healthy = new MemoryGraph();
    const again = new GraphService({ bus, backend: healthy, groupId: 'g' });
    await again.start();
    await until(() => again.stats.created === fx.txs.length);
    expect((await healthy.stats()).nodes['Transaction']).toBe(fx.txs.length);
    await again.stop();
    await bus.close();
  });
});

describe('graph service with batches in flight', () => {
  it('commits offsets in order: a later batch written first is not committed before an earlier one', async () => {
    const bus = new MemoryBus({ partitions: 1 });
    const fx = ringFixture('order_');
    const stuck = fx.txs[0]?.transaction_id;
    // The first batch never lands (Neo4j keeps refusing it); the second one does.
    class StuckFirst extends MemoryGraph {
      override async write(txs: readonly Transaction[]) {
        if (txs.some((t) => t.transaction_id === stuck))
          throw new FraudError('FRAUD_DEPENDENCY_UNAVAILABLE', 'neo4j: timeout');
        return super.write(txs);
      }
    }
    const service = new GraphService({
      bus,
      backend: new StuckFirst(),
      groupId: 'ordered',
      batchSize: 5,
      inFlight: 2,
      retryBaseMs: 1,
      retryMaxMs: 5,
    });
    await service.start();
    await bus.publish(
      TOPICS.enriched,
      fx.txs.map((t) => ({ key: 'one-partition', value: JSON.stringify(enriched(t)) })),
    );
    await until(() => service.stats.written === 5 && service.stats.retries >= 3);
    await service.stop();
    expect(service.stats.batches).toBe(0);

    // Nothing was committed, so the group re-reads every record, the second batch included.
    const healthy = new MemoryGraph();
    const again = new GraphService({ bus, backend: healthy, groupId: 'ordered', batchSize: 5 });
    await again.start();
    await until(() => again.stats.written === fx.txs.length);
    expect(again.stats.created).toBe(fx.txs.length);
    await again.stop();
    await bus.close();
  });
});

describe('graph service analysis schedule', () => {
  it('runs the ring analysis periodically and keeps the result for /healthz', async () => {
    const bus = new MemoryBus({ partitions: 1 });
    const backend = new MemoryGraph();
    await backend.write(ringFixture('sched_').txs);
    const service = new GraphService({ bus, backend, analyzeEveryMs: 20 });
    await service.start();
    await until(() => service.stats.lastAnalysis !== null);
    expect(service.stats.lastAnalysis?.rings).toBe(1);
    await service.stop();
    await bus.close();
  });
});

describe('graph service state', () => {
  it('goes idle → starting → running → stopping → stopped, and a stop() while subscribing closes the subscription', async () => {
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let closed = 0;
    class SlowSubscribeBus extends MemoryBus {
      override async subscribe(options: Parameters<MemoryBus['subscribe']>[0]) {
        await gate;
        const sub = await super.subscribe(options);
        return {
          next: sub.next.bind(sub),
          commit: sub.commit.bind(sub),
          close: async () => {
            closed++;
            await sub.close();
          },
        };
      }
    }
    const bus = new SlowSubscribeBus({ partitions: 1 });
    const service = new GraphService({ bus, backend: new MemoryGraph() });
    expect(service.state).toBe('idle');
    const starting = service.start();
    expect(service.state).toBe('starting');
    await service.stop();
    expect(service.state).toBe('stopped');
    release();
    await starting;
    expect(service.state).toBe('stopped');
    expect(closed).toBe(1);

    const again = new GraphService({ bus, backend: new MemoryGraph() });
    await again.start();
    expect(again.state).toBe('running');
    const stopping = again.stop();
    expect(again.state).toBe('stopping');
    await stopping;
    expect(again.state).toBe('stopped');
    expect(closed).toBe(2);
    await bus.close();
  });
});
