import type { FastifyInstance } from 'fastify';
import type { PlatformMetrics } from '../../telemetry/index.ts';

export interface HealthPluginOptions {
  readonly metrics: PlatformMetrics;
  /** Readiness: returns the reasons the service is not ready (empty = ready). */
  readonly readiness: () => string[];
}

/** Liveness, readiness and Prometheus metrics. */
export async function healthPlugin(app: FastifyInstance, opts: HealthPluginOptions): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const notReady = opts.readiness();
    if (notReady.length > 0) return reply.status(503).send({ status: 'not_ready', reasons: notReady });
    return { status: 'ready' };
  });
  app.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', opts.metrics.registry.contentType);
    return opts.metrics.registry.metrics();
  });
}
