import { loadConfig } from '../../src/config/index.ts';
import type { Platform } from '../../src/platform/index.ts';

/**
 * The whole platform embedded, whatever the caller's environment names: a benchmark of the
 * in-process path must not pick up a Kafka, Redis, Neo4j or PostgreSQL left configured in the
 * shell. No hot-swap watchers: the rule set and model stay the ones loaded at start.
 */
export async function embeddedPlatform(): Promise<Platform> {
  const { createPlatform } = await import('../../src/platform/index.ts');
  const config = loadConfig({
    ...process.env,
    KAFKA_BROKERS: '',
    DATABASE_URL: '',
    NEO4J_URI: '',
    REDIS_URL: '',
  });
  return createPlatform(config, { watch: false });
}
