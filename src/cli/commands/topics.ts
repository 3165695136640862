import type { Command } from '../command.ts';
import { numberFlag, parseFlags, subcommands } from '../command.ts';

const usage = `Usage: bin/fraud topics create [--partitions N]
       bin/fraud topics list

Creates the pipeline's Kafka topics (idempotent): transactions, enriched-transactions, scores,
alerts, transactions.dlq, labels, labels.dlq, and the compacted rules and models topics.
Needs KAFKA_BROKERS. --partitions defaults to FRAUD_PARTITIONS (6).
`;

const command: Command = {
  name: 'topics',
  summary: "Create or list the Kafka topics (the brief's create_kafka_topics.sh)",
  usage,
  run: subcommands('topics', usage, {
    async create(argv) {
      const { values } = parseFlags(argv, { partitions: { type: 'string' } });
      const { loadConfig } = await import('../../config/index.ts');
      const { FraudError } = await import('../../core/errors/index.ts');
      const { createBus, topicSpecs } = await import('../../platform/index.ts');
      const config = loadConfig();
      if (!config.kafkaBrokers) throw new FraudError('FRAUD_CONFIG_INVALID', 'KAFKA_BROKERS is not set');
      const bus = createBus(config);
      const specs = topicSpecs(numberFlag('partitions', values.partitions, config.partitions));
      try {
        await bus.ensureTopics(specs);
      } finally {
        await bus.close();
      }
      for (const t of specs) {
        process.stdout.write(`${t.name}\t${t.partitions} partition(s)${t.compacted ? '\tcompacted' : ''}\n`);
      }
    },
    async list() {
      const { loadConfig } = await import('../../config/index.ts');
      const { FraudError } = await import('../../core/errors/index.ts');
      const { Admin } = await import('@platformatic/kafka');
      const { connectionOptions } = await import('../../adapters/bus-kafka/index.ts');
      const { kafkaOptions } = await import('../../platform/index.ts');
      const config = loadConfig();
      if (!config.kafkaBrokers) throw new FraudError('FRAUD_CONFIG_INVALID', 'KAFKA_BROKERS is not set');
      const admin = new Admin({ clientId: 'fraud-topics', ...connectionOptions(kafkaOptions(config)) });
      try {
        for (const t of (await admin.listTopics()).sort()) process.stdout.write(`${t}\n`);
      } finally {
        await admin.close();
      }
    },
  }),
};
export default command;
