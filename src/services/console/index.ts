import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Neighbourhood, PgStore } from '../../adapters/store-postgres/index.ts';
import type { EventBus } from '../../ports/index.ts';
import { ConsoleAuth } from './auth.ts';
import { ConsoleEvents } from './events.ts';
import type { NeighbourhoodQuery } from './graph.ts';
import { labelPublisher, type StoreIngestion } from './ingest.ts';
import { consoleRoutes } from './routes.ts';

export { actorOf, ConsoleAuth, hashPassword, SESSION_COOKIE, verifyPassword } from './auth.ts';
export { DEMO_USERS, type DemoAccess, demoBanner, ensureDemoAccess } from './demo.ts';
export { ConsoleEvents } from './events.ts';
export { type NeighbourhoodQuery, neighbourhoodFromGraph } from './graph.ts';
export { labelPublisher, StoreIngestion, type StoreIngestionOptions } from './ingest.ts';
export { registerOpenApi } from './openapi.ts';
export { type ConsoleRuntime, type ConsoleRuntimeOptions, startConsoleRuntime } from './runtime.ts';

/** Where `scripts/build-console.ts` writes the web app. */
export const WEB_DIST = fileURLToPath(new URL('./web/dist/', import.meta.url));

export interface ConsoleDeps {
  readonly store: PgStore;
  /** The same instance whose `requireRole('service')` guards `POST /v1/decisions`. */
  readonly auth: ConsoleAuth;
  /** Publishes verdict labels on the `labels` topic. Null: they stay in the outbox until a bus exists. */
  readonly bus?: EventBus | null;
  /** When this process also ingests, verdict labels are flushed through it (one outbox flusher). */
  readonly ingestion?: StoreIngestion | null;
  /**
   * The case's graph neighbourhood from the graph service: pass
   * `neighbourhoodFromGraph(graphBackend)`. When absent, or when it returns null (the graph
   * does not know the transaction yet), the neighbourhood is computed from stored transactions.
   */
  readonly neighbourhood?: (q: NeighbourhoodQuery) => Promise<Neighbourhood | null>;
  /** Live versions of this process (e.g. `{ rule_set_version, model_version }`), shown on the dashboard. */
  readonly versions?: () => Record<string, string | null>;
  /**
   * Serve `/v1/lists` from the store. Default true. Set false when the rules engine's
   * `listsPlugin` is registered on the same app (it owns `/v1/lists` then; guard it with
   * `auth.guard({ read: 'rules:read', write: 'lists:write', audit: 'lists' })`).
   */
  readonly listsRoutes?: boolean;
  /** Built web app directory. Default {@link WEB_DIST}. */
  readonly webRoot?: string;
  readonly log?: (message: string) => void;
}

/** `createConsoleAuth(store)`: the auth whose guards protect every route (share it with the decisions plugin). */
export function createConsoleAuth(
  store: PgStore,
  options: Omit<ConstructorParameters<typeof ConsoleAuth>[0], 'store'> = {},
) {
  return new ConsoleAuth({ store, ...options });
}

/**
 * The analyst console as one fastify plugin: auth routes, the console API (alerts, cases,
 * verdicts, stats, rules, lists, audit, users, consent), live updates (SSE) and the built web
 * app. Register it with `app.register(consolePlugin, deps)` after `registerOpenApi(app)`.
 */
export async function consolePlugin(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const log = deps.log ?? (() => {});
  const events = new ConsoleEvents(deps.store.url, log);
  await events.start();
  // preClose: open event streams would otherwise hold app.close() until the browser hangs up.
  app.addHook('preClose', async () => {
    await events.close();
  });
  const publishLabels = async () => {
    if (deps.ingestion) return deps.ingestion.flushLabels();
    if (deps.bus) return deps.store.publishPendingLabels(labelPublisher(deps.bus));
    return 0;
  };
  await consoleRoutes(app, {
    store: deps.store,
    auth: deps.auth,
    events,
    publishLabels,
    neighbourhood: async (q) =>
      (await deps.neighbourhood?.(q).catch(() => null)) ?? deps.store.neighbourhood(q.card_id),
    ...(deps.versions ? { versions: deps.versions } : {}),
    lists: deps.listsRoutes ?? true,
  });
  await registerWeb(app, deps.webRoot ?? WEB_DIST);
}

async function registerWeb(app: FastifyInstance, root: string): Promise<void> {
  if (!existsSync(`${root}/index.html`)) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply
        .status(503)
        .type('text/plain')
        .send(
          'The analyst console is not built. Run: scripts/setup.sh node (it runs scripts/build-console.ts).\n',
        ),
    );
    return;
  }
  const { default: fastifyStatic } = await import('@fastify/static');
  // wildcard: false registers one route per built file, so no catch-all shadows the API's 404s.
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    index: 'index.html',
    maxAge: '1h',
  });
}
