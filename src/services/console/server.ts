import Fastify, { type FastifyInstance } from 'fastify';
import { installErrorHandler } from '../scorer/plugins/errors.ts';
import { type ConsoleDeps, consolePlugin } from './index.ts';
import { registerOpenApi } from './openapi.ts';

/**
 * The console on its own fastify instance (tests, and `bin/fraud` deployments that run the
 * console apart from the decision API). The platform's API registers the same plugin.
 */
export async function buildConsoleServer(
  deps: ConsoleDeps,
  options: { logger?: boolean } = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 256 * 1024,
    ajv: { customOptions: { strict: false } },
  });
  installErrorHandler(app);
  await registerOpenApi(app);
  await app.register(consolePlugin, deps);
  return app;
}
