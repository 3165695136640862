import { randomUUID } from 'node:crypto';
import { Admin } from '@platformatic/kafka';
import { connectionOptions, type KafkaBusOptions } from '../../src/adapters/bus-kafka/index.ts';

/** Integration tests run against the real broker that `.ci/run` starts; a missing one is an error, not a skip. */
export function requireKafka(): string[] {
  const brokers = process.env['KAFKA_BROKERS'];
  if (!brokers) {
    throw new Error(
      'KAFKA_BROKERS is not set: start Kafka with `eval "$(bin/fraud infra up kafka)"` (.ci/run does)',
    );
  }
  return brokers.split(',');
}

/** Creates a fresh topic for one test, so tests never see each other's records. */
export async function freshTopic(
  brokers: string[] | KafkaBusOptions,
  base: string,
  partitions = 3,
): Promise<string> {
  const name = `test.${base}.${randomUUID().slice(0, 8)}`;
  const connection = Array.isArray(brokers) ? { bootstrapBrokers: brokers } : connectionOptions(brokers);
  const admin = new Admin({ clientId: 'test-admin', ...connection });
  try {
    await admin.createTopics({ topics: [name], partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
  return name;
}

/** Pins a fresh group to the current end of topics (shared with the benchmark). */
export { pinGroupToEnd } from '../../src/adapters/bus-kafka/offsets.ts';
