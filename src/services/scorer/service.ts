import { createGraphSignalSource, graphBackendFor } from '../../adapters/graph-neo4j/index.ts';
import type { PlatformConfig } from '../../config/index.ts';
import type { GraphBackend } from '../../core/graph/index.ts';
import { createBus, createPlatform, type Platform, topicSpecs } from '../../platform/index.ts';
import { type ConsoleRuntime, startConsoleRuntime } from '../console/index.ts';
import { onShutdown } from '../runtime.ts';
import type { Logger } from '../telemetry/index.ts';
import { createLogger } from '../telemetry/index.ts';
import { buildApiServer } from './server.ts';

export interface ApiPlatform {
  readonly platform: Platform;
  readonly console: ConsoleRuntime;
  readonly graph: GraphBackend;
  close(): Promise<void>;
}

/**
 * Opens what a process serving the API needs, in dependency order: the bus, the graph signal
 * source (shared with the console's case view), the console runtime (store, auth, ingestion of
 * scores and alerts into cases), then the platform, whose lists are the console store's.
 */
export async function openApiPlatform(
  config: PlatformConfig,
  options: { demo: boolean; logger: Logger },
): Promise<ApiPlatform> {
  const bus = createBus(config, options.logger);
  if (bus.kind === 'kafka') await bus.ensureTopics(topicSpecs(config.partitions));
  const graph = await createGraphSignalSource(config);
  const graphBackend = await graphBackendFor(config, graph);
  let platform: Platform | null = null;
  const console = await startConsoleRuntime({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    bus,
    demo: options.demo,
    graph: graphBackend,
    versions: () => ({
      rule_set_version: platform?.policy.current.version ?? null,
      model_version: platform?.model.current?.version ?? null,
      challenger_version: platform?.challenger.current?.version ?? null,
    }),
    log: (message) => options.logger.info(message),
  });
  platform = await createPlatform(config, {
    bus,
    graph,
    listPersistence: console.store.listPersistence(),
    logger: options.logger,
  });
  const p = platform;
  return {
    platform: p,
    console,
    graph: graphBackend,
    async close() {
      // Dependents first: the store's stream consumer, then the platform (its list watcher
      // reads the store), then the store itself.
      await console.ingestion?.stop();
      await p.close();
      await console.close();
      if (graphBackend !== (graph as unknown))
        await (graphBackend as { close?: () => Promise<void> }).close?.();
    },
  };
}

/** `bin/fraud api`: the decision API and analyst console as their own service (scaled by the HPA). */
export async function startApiService(
  config: PlatformConfig,
  options: { port: number; host: string },
): Promise<void> {
  const logger = createLogger('api', config.logLevel);
  const api = await openApiPlatform(config, { demo: false, logger });
  const app = await buildApiServer(api.platform, { console: api.console, graph: api.graph });
  const address = await app.listen({ host: options.host, port: options.port });
  process.stderr.write(`decision API listening on ${address} (bus: ${api.platform.bus.kind})\n`);
  process.stderr.write(api.console.banner(address));
  onShutdown(async () => {
    await app.close();
    await api.close();
  }, logger);
}
