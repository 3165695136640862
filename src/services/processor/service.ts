import Fastify from 'fastify';
import type { PlatformConfig } from '../../config/index.ts';
import { createPlatform, topicSpecs } from '../../platform/index.ts';
import { onShutdown } from '../runtime.ts';
import { healthPlugin } from '../scorer/plugins/health.ts';
import { createLogger } from '../telemetry/index.ts';
import { StreamProcessor } from './processor.ts';

export interface ProcessorServiceOptions {
  readonly groupId: string;
  readonly maxBatchSize: number;
  /** Port for /healthz, /readyz, /metrics; 0 picks a free one. */
  readonly port: number;
  readonly from: 'earliest' | 'latest';
}

/** `bin/fraud process`: the processor plus its health and metrics endpoint, drained on SIGTERM. */
export async function startProcessorService(
  config: PlatformConfig,
  options: ProcessorServiceOptions,
): Promise<void> {
  const logger = createLogger('processor', config.logLevel);
  const platform = await createPlatform(config);
  await platform.bus.ensureTopics(topicSpecs(config.partitions));
  const processor = new StreamProcessor({
    bus: platform.bus,
    engine: platform.engine,
    features: platform.labels,
    graph: platform.graph,
    metrics: platform.metrics,
    logger,
    groupId: options.groupId,
    maxBatchSize: options.maxBatchSize,
    from: options.from,
    enrichedFeatures: config.enrichedFeatures,
    commitIntervalMs: config.kafkaCommitIntervalMs,
  });
  const http = Fastify({ logger: false });
  await http.register(healthPlugin, {
    metrics: platform.metrics,
    readiness: () => (processor.state === 'running' ? [] : [`processor is ${processor.state}`]),
  });
  const address = await http.listen({ host: config.apiHost, port: options.port });
  await processor.start();
  logger.info(
    {
      group: options.groupId,
      bus: platform.bus.kind,
      features: platform.features.kind,
      metrics: `${address}/metrics`,
    },
    'processor running',
  );
  process.stderr.write(
    `processor running (group ${options.groupId}; rules ${platform.policy.current.version}; model ${platform.model.current?.version ?? 'none'}; features ${platform.features.kind}; graph ${platform.graph.kind}); metrics at ${address}/metrics\n`,
  );
  onShutdown(async () => {
    await processor.stop();
    await http.close();
    await platform.close();
    logger.info(
      { processed: processor.processed, deadLettered: processor.deadLettered },
      'processor stopped',
    );
  }, logger);
  await processor.done();
  if (processor.state === 'failed') {
    await platform.close().catch(() => {});
    process.exitCode = 1;
  }
}
