import type { PlatformConfig } from '../../config/index.ts';
import { createPlatform, topicSpecs } from '../../platform/index.ts';
import { onShutdown } from '../runtime.ts';
import { createLogger } from '../telemetry/index.ts';
import { buildApiServer } from './server.ts';

/** `bin/fraud api`: the decision API as its own service (scaled by the HPA in production). */
export async function startApiService(
  config: PlatformConfig,
  options: { port: number; host: string },
): Promise<void> {
  const logger = createLogger('api', config.logLevel);
  const platform = await createPlatform(config);
  if (platform.bus.kind === 'kafka') await platform.bus.ensureTopics(topicSpecs(config.partitions));
  const app = await buildApiServer(platform);
  const address = await app.listen({ host: options.host, port: options.port });
  process.stderr.write(`decision API listening on ${address} (bus: ${platform.bus.kind})\n`);
  onShutdown(async () => {
    await app.close();
    await platform.close();
  }, logger);
}
