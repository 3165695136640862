import type { FastifyInstance } from 'fastify';

/**
 * `GET /openapi.json`: the OpenAPI 3 document of every route registered after this call.
 * Register it first on the root app (before the decisions, console and rules plugins).
 */
export async function registerOpenApi(app: FastifyInstance, version = '0.1.0'): Promise<void> {
  const { default: swagger } = await import('@fastify/swagger');
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Fraud detection platform API',
        description:
          'Decisions, analyst console, rules and lists. Every route except sign-in needs a session cookie or an API token; each route states the permission it needs (docs/security.md).',
        version,
      },
      components: {
        securitySchemes: {
          cookieAuth: { type: 'apiKey', in: 'cookie', name: 'fraud_session' },
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'API token (bin/fraud users token)' },
        },
      },
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
