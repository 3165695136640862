import { describe, expect, it } from 'vitest';
import { KafkaBus } from '../../../src/adapters/bus-kafka/index.ts';
import { loadConfig } from '../../../src/config/index.ts';
import { kafkaOptions } from '../../../src/platform/index.ts';
import { eventBusContract } from '../../support/bus-contract.ts';
import { freshTopic } from '../../support/kafka.ts';

// Managed Kafka (MSK, Confluent Cloud) is TLS-only: the same contract must hold over TLS, with
// the configuration read the way a deployment sets it (KAFKA_TLS, KAFKA_TLS_CA_FILE).
const tlsBrokers = process.env['KAFKA_TLS_BROKERS'];
const caFile = process.env['KAFKA_TLS_CA_FILE'];
if (!tlsBrokers || !caFile) {
  throw new Error(
    'KAFKA_TLS_BROKERS / KAFKA_TLS_CA_FILE are not set: start Kafka with FRAUD_KAFKA_TLS=true bin/fraud infra up kafka (scripts/test.sh does)',
  );
}
const config = loadConfig({ KAFKA_BROKERS: tlsBrokers, KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: caFile });

eventBusContract(
  'Kafka over TLS',
  async () => new KafkaBus({ ...kafkaOptions(config), clientId: 'contract-tls' }),
  (base) => freshTopic(kafkaOptions(config), base),
);

describe('Kafka over TLS without the private CA', () => {
  it('refuses to talk to the broker (the certificate is verified)', async () => {
    const bus = new KafkaBus({ brokers: tlsBrokers.split(','), clientId: 'untrusted', tls: {} });
    await expect(bus.ensureTopics([{ name: 'never-created', partitions: 1 }])).rejects.toThrow(
      /certificate|self.signed|unable to verify/i,
    );
    await bus.close();
  });
});
