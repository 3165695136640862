import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { PgStore } from '../../adapters/store-postgres/index.ts';
import type { GraphBackend } from '../../core/graph/backend.ts';
import type { EventBus } from '../../ports/index.ts';
import { ConsoleAuth } from './auth.ts';
import { type DemoAccess, demoBanner, ensureDemoAccess } from './demo.ts';
import { neighbourhoodFromGraph } from './graph.ts';
import { type ConsoleDeps, consolePlugin } from './index.ts';
import { StoreIngestion } from './ingest.ts';

export interface ConsoleRuntimeOptions {
  /** `DATABASE_URL` (null: embedded PostgreSQL under `dataDir`). */
  readonly databaseUrl: string | null;
  readonly dataDir: string;
  /** The platform's bus: ingestion reads `enriched-transactions`, `scores`, `alerts`; verdicts publish `labels`. */
  readonly bus: EventBus;
  /** Demo mode: create the demo users and a fresh service token (printed by {@link ConsoleRuntime.banner}). Default false. */
  readonly demo?: boolean;
  /** Run the store's stream consumer in this process. Default true (one group: instances share the work). */
  readonly ingest?: boolean;
  /** Graph backend for the case view's neighbourhood. Default: computed from stored transactions. */
  readonly graph?: GraphBackend | null;
  /** Live versions shown on the dashboard, e.g. `() => ({ rule_set_version, model_version })`. */
  readonly versions?: () => Record<string, string | null>;
  /** Adds `Secure` to the session cookie (HTTPS deployments). Default false. */
  readonly secureCookie?: boolean;
  readonly log?: (message: string) => void;
}

/** Everything the API service needs from the console, opened once at start. */
export interface ConsoleRuntime {
  readonly store: PgStore;
  readonly auth: ConsoleAuth;
  readonly ingestion: StoreIngestion | null;
  /** Demo users and service token, when started in demo mode. */
  readonly access: DemoAccess | null;
  /** preHandler for `POST /v1/decisions`: a service token (or an admin). */
  readonly decisionsGuard: preHandlerHookHandler;
  /** Registers the console plugin; `listsRoutes: false` when the rules engine's listsPlugin owns `/v1/lists`. */
  register(app: FastifyInstance, options?: { listsRoutes?: boolean }): Promise<void>;
  /** The lines to print at start: console address, demo credentials, service token. */
  banner(url: string): string;
  /** Stops ingestion and closes the store (and the embedded cluster). Call after `app.close()`. */
  close(): Promise<void>;
}

export async function startConsoleRuntime(o: ConsoleRuntimeOptions): Promise<ConsoleRuntime> {
  const log = o.log ?? (() => {});
  const store = await PgStore.open({ databaseUrl: o.databaseUrl, dataDir: o.dataDir, log });
  const auth = new ConsoleAuth({ store, secureCookie: o.secureCookie ?? false });
  const access = o.demo ? await ensureDemoAccess(store, auth) : null;
  const ingestion = o.ingest === false ? null : new StoreIngestion({ store, bus: o.bus, log });
  await ingestion?.start();
  const deps: ConsoleDeps = {
    store,
    auth,
    bus: o.bus,
    ingestion,
    log,
    ...(o.graph ? { neighbourhood: neighbourhoodFromGraph(o.graph) } : {}),
    ...(o.versions ? { versions: o.versions } : {}),
  };
  return {
    store,
    auth,
    ingestion,
    access,
    decisionsGuard: auth.requireRole('service'),
    async register(app, options = {}) {
      await app.register(consolePlugin, {
        ...deps,
        ...(options.listsRoutes === false ? { listsRoutes: false } : {}),
      });
    },
    banner(url) {
      if (access) return demoBanner(url, access);
      return `Analyst console: ${url} (sign in with a user from 'bin/fraud users add')\n`;
    },
    async close() {
      await ingestion?.stop();
      await store.close();
    },
  };
}
