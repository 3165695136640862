import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryGraph } from '../../../src/adapters/graph-memory/index.ts';
import { graphRoutes } from '../../../src/services/graph-service/http.ts';
import { installErrorHandler } from '../../../src/services/scorer/plugins/errors.ts';
import { ringFixture } from './fixtures.ts';

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
