import Fastify, { type FastifyInstance } from 'fastify';
import type { GraphBackend } from '../../core/graph/index.ts';
import type { Platform } from '../../platform/index.ts';
import type { ConsoleRuntime } from '../console/index.ts';
import { registerOpenApi } from '../console/index.ts';
import { graphRoutes } from '../graph-service/http.ts';
import { decisionsPlugin } from './plugins/decisions.ts';
import { installErrorHandler } from './plugins/errors.ts';
import { healthPlugin } from './plugins/health.ts';

export interface ApiServerOptions {
  /** Extra readiness checks (e.g. the processor is running). */
  readonly readiness?: () => string[];
  /** Enables fastify's request logging. Default false (the hot path stays quiet). */
  readonly logRequests?: boolean;
  /**
   * The analyst console: authentication on every route (a service token for decisions, roles
   * for the rest), OpenAPI, the console API and web app, audited lists. `bin/fraud api` and
   * `bin/fraud up` always pass it; without it the API is unauthenticated (in-process tests).
   */
  readonly console?: ConsoleRuntime;
  /** The graph for the analyst queries under `/v1/graph` (served only with the console's auth). */
  readonly graph?: GraphBackend;
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
  const console = options.console;
  // OpenAPI first, so that every route registered after it is documented at /openapi.json.
  if (console) await registerOpenApi(app);
  await app.register(healthPlugin, {
    metrics: platform.metrics,
    readiness: () => options.readiness?.() ?? [],
  });
  await app.register(decisionsPlugin, {
    engine: platform.engine,
    bus: platform.bus,
    metrics: platform.metrics,
    enrichedFeatures: platform.config.enrichedFeatures,
    ...(console ? { guard: console.decisionsGuard } : {}),
  });
  if (console) {
    // The console serves /v1/lists itself (audited, masked for viewers).
    await platform.rules.register(app, {
      guard: console.auth.guard({ read: 'rules:read', write: 'rules:write', audit: 'rules' }),
      lists: false,
    });
    await console.register(app);
    const graph = options.graph;
    if (graph) {
      // Rings, paths and neighbourhoods name cards, devices and IPs: unmasked PII, so analysts only.
      await app.register(async (scope) => {
        scope.addHook('preHandler', console.auth.requirePermission('pii:read'));
        await scope.register(graphRoutes, { backend: graph });
      });
    }
  } else {
    await platform.rules.register(app);
  }
  return app;
}
