import { KafkaBus } from '../../../src/adapters/bus-kafka/index.ts';
import { eventBusContract } from '../../support/bus-contract.ts';
import { freshTopic, requireKafka } from '../../support/kafka.ts';

const brokers = requireKafka();
eventBusContract(
  'Kafka',
  async () => new KafkaBus({ brokers, clientId: 'contract' }),
  (base) => freshTopic(brokers, base),
);
