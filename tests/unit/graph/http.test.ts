import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../src/adapters/bus-memory/index.ts';
import { MemoryGraph } from '../../../src/adapters/graph-memory/index.ts';
import { TOPICS, type Transaction } from '../../../src/core/contracts/index.ts';
import { FraudError } from '../../../src/core/errors/index.ts';
import { graphHealthRoutes, graphRoutes } from '../../../src/services/graph-service/http.ts';
import { GraphService } from '../../../src/services/graph-service/index.ts';
import { installErrorHandler } from '../../../src/services/scorer/plugins/errors.ts';
import { GraphServiceMetrics } from '../../../src/services/telemetry/metrics.ts';
import { enriched, ringFixture } from './fixtures.ts';

describe('graph HTTP routes', () => {
  const app = Fastify();
  const fx = ringFixture('http_');
  beforeAll(async () => {
    const backend = new MemoryGraph();
    await backend.write(fx.txs);
    await backend.applyLabels(fx.labels);
    installErrorHandler(app);
    await app.register(graphRoutes, { backend });
    await app.ready();
  });
  afterAll(() => app.close());

  it('serves the shared devices, rings, paths and neighbourhoods', async () => {
    const shared = await app.inject('/v1/graph/shared-devices');
    expect(shared.json()).toEqual({
      devices: [{ device_id: 'http_d1', cards: ['http_c1', 'http_c2', 'http_c3', 'http_c4'] }],
    });
    const rings = (await app.inject('/v1/graph/rings?min_cards=3')).json() as {
      rings: { ring_id: string; size: number }[];
    };
    expect(rings.rings.map((r) => [r.ring_id, r.size])).toEqual([['ring:http_c1', 10]]);
    const path = (await app.inject('/v1/graph/path?from=card:http_c1&to=http_c5&max_depth=4')).json() as {
      path: { length: number };
    };
    expect(path.path.length).toBe(4);
    const view = (
      await app.inject(`/v1/graph/transactions/${fx.fraudTx.transaction_id}/neighbourhood`)
    ).json() as { nodes: unknown[]; edges: unknown[] };
    expect(view.nodes).toHaveLength(9);
    expect(view.edges).toHaveLength(12);
    const signals = (await app.inject('/v1/graph/signals')).json() as { signals: { name: string }[] };
    expect(signals.signals.map((s) => s.name)).toContain('graph.device_cards_24h');
  });

  it('answers bad input with a catalogue error', async () => {
    const bad = await app.inject('/v1/graph/rings?min_cards=1');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('FRAUD_REQUEST_INVALID');
    const missing = await app.inject('/v1/graph/path?from=card:http_c1&to=card:nobody');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('FRAUD_NOT_FOUND');
    const noTx = await app.inject('/v1/graph/transactions/nope/neighbourhood');
    expect(noTx.statusCode).toBe(404);
  });
});

describe('graph service /healthz, /readyz, /metrics', () => {
  it('is ready only while the consumer runs, stays ready while the graph refuses writes, and serves the metrics', async () => {
    const bus = new MemoryBus({ partitions: 1 });
    class DownGraph extends MemoryGraph {
      down = false;
      /** While set, a write waits for it (a slow Neo4j); `blocked` tells that one does. */
      gate: Promise<void> | null = null;
      blocked = false;
      override async write(txs: readonly Transaction[]) {
        if (this.down) throw new FraudError('FRAUD_DEPENDENCY_UNAVAILABLE', 'neo4j: connection refused');
        if (this.gate) {
          this.blocked = true;
          await this.gate;
        }
        return super.write(txs);
      }
    }
    const backend = new DownGraph();
    const metrics = new GraphServiceMetrics({ defaultMetrics: false });
    const service = new GraphService({ bus, backend, metrics, retryBaseMs: 1, retryMaxMs: 5 });
    let startup: string | null = 'migrating the graph schema';
    const app = Fastify();
    await app.register(graphHealthRoutes, { service, metrics, startup: () => startup });
    try {
      const migrating = await app.inject('/readyz');
      expect(migrating.statusCode).toBe(503);
      expect(migrating.json()).toEqual({ status: 'not_ready', reasons: ['migrating the graph schema'] });
      expect((await app.inject('/healthz')).statusCode).toBe(200);

      startup = null;
      expect((await app.inject('/readyz')).json().reasons).toEqual(['graph service is idle']);
      await service.start();
      expect((await app.inject('/readyz')).statusCode).toBe(200);

      // Neo4j refusing writes: retried and counted, the pod stays ready (see graphReadiness).
      backend.down = true;
      const fx = ringFixture('ready_');
      await bus.publish(
        TOPICS.enriched,
        fx.txs.map((t) => ({ key: t.card_id, value: JSON.stringify(enriched(t)) })),
      );
      const end = Date.now() + 5000;
      while (service.stats.retries < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
      expect(service.stats.retries).toBeGreaterThanOrEqual(3);
      expect((await app.inject('/readyz')).statusCode).toBe(200);
      const health = (await app.inject('/healthz')).json() as { ok: boolean; state: string; retries: number };
      expect(health).toMatchObject({ ok: true, state: 'running' });
      expect(health.retries).toBeGreaterThanOrEqual(3);

      const scraped = await app.inject('/metrics');
      expect(scraped.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(scraped.body).toMatch(/^fraud_graph_write_retries_total [1-9]/m);
      expect(scraped.body).toMatch(new RegExp(`^fraud_graph_pending_records ${fx.txs.length}$`, 'm'));

      // Stopping: the batch in flight finishes first, and the pod is unready meanwhile.
      let release = () => {};
      backend.gate = new Promise<void>((r) => {
        release = r;
      });
      backend.down = false;
      while (!backend.blocked && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
      expect(backend.blocked).toBe(true);
      const stopping = service.stop();
      const drain = await app.inject('/readyz');
      expect(drain.statusCode).toBe(503);
      expect(drain.json().reasons).toEqual(['graph service is stopping']);
      release();
      await stopping;
      expect(service.stats.written).toBe(fx.txs.length);
      const stopped = await app.inject('/readyz');
      expect(stopped.statusCode).toBe(503);
      expect(stopped.json().reasons).toEqual(['graph service is stopped']);
    } finally {
      await service.stop();
      await app.close();
      await bus.close();
    }
  });
});
