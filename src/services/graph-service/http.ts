/**
 * Analyst graph API as a fastify plugin (for the console and the graph service), routes under
 * `/v1/graph/…`. Works on either backend. Errors are FraudErrors, rendered by the host app's
 * error handler as `{ error: { code, message, details } }`.
 *
 *   GET /v1/graph/shared-devices?more_than=3&limit=100     the brief's query
 *   GET /v1/graph/rings?min_cards=3&min_shared=4&limit=50  rings with size and fraud density
 *   GET /v1/graph/path?from=card:A&to=customer:B&max_depth=6
 *   GET /v1/graph/transactions/:id/neighbourhood?hops=1&limit=200   {nodes, edges} to draw
 *   GET /v1/graph/stats
 *   GET /v1/graph/signals                                  the signal catalogue
 *
 * and, for the graph service's own process, `graphHealthRoutes`: /healthz, /readyz, /metrics.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { FraudError } from '../../core/errors/index.ts';
import { GRAPH_SIGNAL_DESCRIPTIONS, type GraphBackend, parseEntityRef } from '../../core/graph/index.ts';
import type { GraphServiceMetrics } from '../telemetry/metrics.ts';
import type { GraphService } from './index.ts';

export interface GraphRoutesOptions {
  readonly backend: GraphBackend;
}

function intParam(
  q: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = q[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new FraudError('FRAUD_REQUEST_INVALID', `${name} must be an integer in [${min}, ${max}]`, {
      details: [{ field: name, message: `must be an integer in [${min}, ${max}]` }],
    });
  }
  return n;
}

export const graphRoutes: FastifyPluginAsync<GraphRoutesOptions> = async (app: FastifyInstance, options) => {
  const g = options.backend;
  type Q = { Querystring: Record<string, string | undefined> };

  app.get<Q>('/v1/graph/shared-devices', async (req) => {
    const devices = await g.sharedDevices({
      moreThan: intParam(req.query, 'more_than', 3, 0, 1_000_000),
      limit: intParam(req.query, 'limit', 100, 1, 10_000),
    });
    return { devices };
  });

  app.get<Q>('/v1/graph/rings', async (req) => {
    const rings = await g.rings({
      minCards: intParam(req.query, 'min_cards', 3, 2, 1_000_000),
      minShared: intParam(req.query, 'min_shared', 4, 1, 1_000_000),
      limit: intParam(req.query, 'limit', 50, 1, 10_000),
    });
    return { rings };
  });

  app.get<Q>('/v1/graph/path', async (req) => {
    const from = req.query['from'];
    const to = req.query['to'];
    if (!from || !to) {
      throw new FraudError('FRAUD_REQUEST_INVALID', 'from and to are required (e.g. card:card_1234)', {
        details: [
          !from ? { field: 'from', message: 'is required' } : { field: 'to', message: 'is required' },
        ],
      });
    }
    const maxDepth = intParam(req.query, 'max_depth', 6, 1, 10);
    const a = await g.resolve(parseEntityRef(from));
    const b = await g.resolve(parseEntityRef(to));
    if (!a) throw new FraudError('FRAUD_NOT_FOUND', `no node '${from}' in the graph`);
    if (!b) throw new FraudError('FRAUD_NOT_FOUND', `no node '${to}' in the graph`);
    return { from: a, to: b, max_depth: maxDepth, path: await g.path(a, b, { maxDepth }) };
  });

  app.get<Q & { Params: { id: string } }>('/v1/graph/transactions/:id/neighbourhood', async (req) => {
    const view = await g.neighbourhood(req.params.id, {
      hops: intParam(req.query, 'hops', 1, 0, 3),
      limit: intParam(req.query, 'limit', 200, 3, 5000),
    });
    if (!view) throw new FraudError('FRAUD_NOT_FOUND', `transaction '${req.params.id}' is not in the graph`);
    return view;
  });

  app.get('/v1/graph/stats', async () => ({ backend: g.kind, ...(await g.stats()) }));

  app.get('/v1/graph/signals', async () => ({
    signals: Object.entries(GRAPH_SIGNAL_DESCRIPTIONS).map(([name, description]) => ({
      name: `graph.${name}`,
      description,
    })),
  }));
};

export interface GraphHealthOptions {
  readonly service: Pick<GraphService, 'stats' | 'state'>;
  readonly metrics: Pick<GraphServiceMetrics, 'registry'>;
  /**
   * What the process is doing before the service consumes (e.g. `migrating the graph schema`,
   * `warming up Neo4j`); null once `service.start()` was called.
   */
  readonly startup: () => string | null;
}

/**
 * Why the graph service is not ready (empty: ready). Ready once the schema is migrated, the
 * warm-up is done and the consumer loop runs; not ready while starting, stopping or stopped.
 *
 * Failing Neo4j writes do not make it unready, on purpose. Readiness decides whether the
 * Service routes the analyst API to the pod and whether a rolling update may go on; the
 * consumer's work does not come through the Service, so an unready pod would go on consuming and
 * retrying all the same, and a new pod (or a restart) cannot reach the database any better: the
 * retry loop already reconnects, and a restart would add a rebalance and a replay of the batches
 * in flight. A rollout that fixes the outage must not be blocked by it either (the chart rolls
 * with maxUnavailable 0). The outage shows instead in fraud_graph_write_retries_total and
 * fraud_graph_pending_records, and fires FraudGraphWritesFailing.
 */
export function graphReadiness(startup: string | null, service: Pick<GraphService, 'state'>): string[] {
  if (startup !== null) return [startup];
  return service.state === 'running' ? [] : [`graph service is ${service.state}`];
}

/** /healthz (liveness, with the service's counters), /readyz and /metrics (Prometheus). */
export const graphHealthRoutes: FastifyPluginAsync<GraphHealthOptions> = async (app, o) => {
  app.get('/healthz', async () => ({ ok: true, state: o.service.state, ...o.service.stats }));
  app.get('/readyz', async (_request, reply) => {
    const reasons = graphReadiness(o.startup(), o.service);
    if (reasons.length > 0) return reply.status(503).send({ status: 'not_ready', reasons });
    return { status: 'ready' };
  });
  app.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', o.metrics.registry.contentType);
    return o.metrics.registry.metrics();
  });
};
