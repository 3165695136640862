import type { Command } from '../command.ts';
import { numberFlag, parseFlags, subcommands } from '../command.ts';

const usage = `Usage: bin/fraud topics create [--partitions N] [--replication-factor N]
       bin/fraud topics list      (name, partitions, replication factor)
       bin/fraud topics lag --group ID [--topic T]...

Creates the pipeline's Kafka topics (idempotent): transactions, enriched-transactions, scores,
alerts, transactions.dlq, labels, labels.dlq, and the compacted rules and models topics.
Needs KAFKA_BROKERS. --partitions defaults to FRAUD_PARTITIONS (6); --replication-factor to
KAFKA_REPLICATION_FACTOR, and without either the cluster's default.replication.factor applies.
Existing topics are left as they are.

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
      const { values } = parseFlags(argv, {
        partitions: { type: 'string' },
        'replication-factor': { type: 'string' },
      });
      const { loadConfig } = await import('../../config/index.ts');
      const { FraudError } = await import('../../core/errors/index.ts');
      const { createBus, topicSpecs } = await import('../../platform/index.ts');
      const loaded = loadConfig();
      if (!loaded.kafkaBrokers) throw new FraudError('FRAUD_CONFIG_INVALID', 'KAFKA_BROKERS is not set');
      const rf = values['replication-factor'];
      const replicas = rf === undefined ? null : numberFlag('replication-factor', rf, 1);
      if (replicas !== null && (!Number.isInteger(replicas) || replicas < 1))
        throw new FraudError('FRAUD_USAGE', `--replication-factor must be a whole number ≥ 1, got '${rf}'`);
      const config = replicas === null ? loaded : { ...loaded, kafkaReplicationFactor: replicas };
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
        const names = (await admin.listTopics()).sort();
        const { topics } = await admin.metadata({ topics: names });
        for (const name of names) {
          const partitions = topics.get(name)?.partitions ?? [];
          // The smallest replica set: one under-replicated partition is what loses data.
          const rf = partitions.length ? Math.min(...partitions.map((p) => p.replicas.length)) : 0;
          process.stdout.write(`${name}\t${partitions.length} partition(s)\treplication factor ${rf}\n`);
        }
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
