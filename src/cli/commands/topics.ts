import type { Command } from '../command.ts';
import { numberFlag, parseFlags, subcommands } from '../command.ts';

const usage = `Usage: bin/fraud topics create [--partitions N]
       bin/fraud topics list
       bin/fraud topics lag --group ID [--topic T]...

Creates the pipeline's Kafka topics (idempotent): transactions, enriched-transactions, scores,
alerts, transactions.dlq, labels, labels.dlq, and the compacted rules and models topics.
Needs KAFKA_BROKERS. --partitions defaults to FRAUD_PARTITIONS (6).

lag prints how far a consumer group is behind, per partition and in total (end offset minus
committed offset), e.g. --group graph-service (default topic enriched-transactions) or
--group fraud-processor --topic transactions.
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
    async lag(argv) {
      const { values } = parseFlags(argv, {
        group: { type: 'string' },
        topic: { type: 'string', multiple: true },
      });
      const { loadConfig } = await import('../../config/index.ts');
      const { FraudError } = await import('../../core/errors/index.ts');
      const { Admin } = await import('@platformatic/kafka');
      const { connectionOptions } = await import('../../adapters/bus-kafka/index.ts');
      const { groupLag } = await import('../../adapters/bus-kafka/offsets.ts');
      const { kafkaOptions } = await import('../../platform/index.ts');
      const { TOPICS } = await import('../../core/contracts/index.ts');
      const config = loadConfig();
      if (!config.kafkaBrokers) throw new FraudError('FRAUD_CONFIG_INVALID', 'KAFKA_BROKERS is not set');
      if (!values.group)
        throw new FraudError('FRAUD_USAGE', '--group is required (e.g. --group graph-service)');
      const topics = values.topic && values.topic.length > 0 ? values.topic : [TOPICS.enriched];
      const admin = new Admin({ clientId: 'fraud-topics', ...connectionOptions(kafkaOptions(config)) });
      try {
        const lags = await groupLag(admin, values.group, topics);
        let total = 0n;
        for (const l of lags) {
          total += l.lag;
          process.stdout.write(
            `${l.topic}\t${l.partition}\tend ${l.end}\tcommitted ${l.committed ?? '-'}\tlag ${l.lag}\n`,
          );
        }
        process.stdout.write(`total lag\t${total}\n`);
      } finally {
        await admin.close();
      }
    },
  }),
};
export default command;
