import { describe, expect, it } from 'vitest';
import { KafkaBus } from '../../../src/adapters/bus-kafka/index.ts';
import { FraudError } from '../../../src/core/errors/index.ts';
import { eventBusContract } from '../../support/bus-contract.ts';
import { freshTopic, requireKafka } from '../../support/kafka.ts';

const brokers = requireKafka();
eventBusContract(
  'Kafka',
  async () => new KafkaBus({ brokers, clientId: 'contract' }),
  (base) => freshTopic(brokers, base),
);

describe('KafkaBus on a missing topic', () => {
  it('fails the send as retryable, naming the topic, instead of hanging (auto-creation is off)', async () => {
    const bus = new KafkaBus({ brokers, clientId: 'missing-topic', sendTimeoutMs: 2_000 });
    const topic = `test.missing.${Date.now()}`;
    const err = await bus.publish(topic, [{ key: 'k', value: 'v' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FraudError);
    expect((err as FraudError).retryable).toBe(true);
    expect((err as FraudError).message).toContain(topic);
    await bus.close();
  });
});
