import Fastify, { type FastifyInstance } from 'fastify';
import type { Platform } from '../../platform/index.ts';
import { decisionsPlugin } from './plugins/decisions.ts';
import { installErrorHandler } from './plugins/errors.ts';
import { healthPlugin } from './plugins/health.ts';

export interface ApiServerOptions {
  /** Extra readiness checks (e.g. the processor is running). */
  readonly readiness?: () => string[];
  /** Enables fastify's request logging. Default false (the hot path stays quiet). */
  readonly logRequests?: boolean;
}

/** The HTTP API: one encapsulated plugin per area. */
export async function buildApiServer(
  platform: Platform,
  options: ApiServerOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logRequests ? { level: platform.config.logLevel } : false,
    bodyLimit: 64 * 1024,
    ajv: { customOptions: { strict: false } },
  });
  installErrorHandler(app);
  await app.register(healthPlugin, {
    metrics: platform.metrics,
    readiness: () => options.readiness?.() ?? [],
  });
  await app.register(decisionsPlugin, {
    engine: platform.engine,
    bus: platform.bus,
    metrics: platform.metrics,
  });
  return app;
}
