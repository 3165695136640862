import type { Command } from '../command.ts';
import { numberFlag, parseFlags } from '../command.ts';

const usage = `Usage: bin/fraud up [--rate N] [--seed K] [--port P] [--duration S] [--no-simulate]

Runs the whole platform in one process: the stream processor, the decision API and analyst
console, and the simulator feeding live transactions, with a live terminal summary (tx/s,
decision mix, p50/p99 latency). With no configuration every part is embedded (in-process bus,
in-memory features and graph, embedded PostgreSQL); KAFKA_BROKERS, REDIS_URL, NEO4J_URI and
DATABASE_URL switch each part to the real service. Ctrl-C drains and stops.

Options:
  --rate N        simulated transactions per second (default 50)
  --seed K        simulator seed (default 1)
  --port P        API and console port (default FRAUD_API_PORT or 8080)
  --duration S    stop after S seconds (default: run until Ctrl-C)
  --no-simulate   do not start the simulator (feed it yourself: POST /v1/decisions or Kafka)
`;

const command: Command = {
  name: 'up',
  summary: 'Run everything (processor, API, console, simulator) in one command',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      rate: { type: 'string' },
      seed: { type: 'string' },
      port: { type: 'string' },
      duration: { type: 'string' },
      'no-simulate': { type: 'boolean' },
    });
    const { loadConfig } = await import('../../config/index.ts');
    const config = loadConfig();
    const { runPlatform } = await import('../../services/platform-runner/index.ts');
    await runPlatform(config, {
      rate: numberFlag('rate', values.rate, 50),
      seed: numberFlag('seed', values.seed, 1),
      port: numberFlag('port', values.port, config.apiPort),
      durationMs:
        values.duration === undefined ? undefined : numberFlag('duration', values.duration, 0) * 1000,
      simulate: !values['no-simulate'],
    });
  },
};
export default command;
