import type { Command } from '../command.ts';
import { numberFlag, parseFlags } from '../command.ts';

const usage = `Usage: bin/fraud process [--group ID] [--batch N] [--port P] [--from earliest|latest]

Runs the stream processor: a consumer-group member on 'transactions' that validates, enriches,
decides and produces to 'enriched-transactions', 'scores', 'alerts' and 'transactions.dlq'.
Start several to share the partitions. Needs KAFKA_BROKERS (for the all-in-one embedded
platform use 'bin/fraud up'). SIGINT/SIGTERM drain: in-flight batches are produced and committed.

Options:
  --group ID     consumer group (default fraud-processor)
  --batch N      max records per batch (default 500)
  --port P       serve /healthz, /readyz and /metrics on this port (default 9464; 0 = any free port)
  --from WHERE   where a new group starts: earliest (default) or latest
`;

const command: Command = {
  name: 'process',
  summary: 'Run the stream processor (Kafka consumer group on transactions)',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      group: { type: 'string' },
      batch: { type: 'string' },
      port: { type: 'string' },
      from: { type: 'string' },
    });
    const { loadConfig } = await import('../../config/index.ts');
    const { FraudError } = await import('../../core/errors/index.ts');
    const config = loadConfig();
    if (!config.kafkaBrokers) {
      throw new FraudError(
        'FRAUD_CONFIG_INVALID',
        "KAFKA_BROKERS is not set; start Kafka with 'bin/fraud infra up kafka' or run everything embedded with 'bin/fraud up'",
      );
    }
    const from = values.from ?? 'earliest';
    if (from !== 'earliest' && from !== 'latest')
      throw new FraudError('FRAUD_USAGE', '--from must be earliest or latest');
    const { startProcessorService } = await import('../../services/processor/service.ts');
    await startProcessorService(config, {
      groupId: values.group ?? 'fraud-processor',
      maxBatchSize: numberFlag('batch', values.batch, 500),
      port: numberFlag('port', values.port, 9464),
      from,
    });
  },
};
export default command;
